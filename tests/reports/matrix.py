"""Every route of the reports blueprint (see tests/identity/matrix.py for the format)."""

from tests.identity.matrix import Route

ROUTE_MATRIX = [
    Route("GET", "/api/v1/reports/orgs/<int:org_id>", "admin"),
    Route("GET", "/api/v1/reports/orgs/<int:org_id>/points", "admin"),
    Route("GET", "/api/v1/reports/region", "superadmin"),
    Route("GET", "/api/v1/public/disclosure", "public"),
]
