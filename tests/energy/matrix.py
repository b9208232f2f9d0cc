"""Every route of the energy blueprint (see tests/identity/matrix.py for the format)."""

from tests.identity.matrix import Route

READING = {"carrier": "water", "period": "2024-01", "quantity": 1, "unit": "m3"}

ROUTE_MATRIX = [
    Route("PUT", "/api/v1/orgs/<int:org_id>/energy/profiles/<int:year>", "admin",
          {"building_area_m2": 100, "occupants": 5}, params={"year": 2024}),
    Route("GET", "/api/v1/orgs/<int:org_id>/energy/profiles", "admin"),
    Route("POST", "/api/v1/orgs/<int:org_id>/energy/readings", "admin", READING),
    Route("GET", "/api/v1/orgs/<int:org_id>/energy/readings", "admin"),
    Route("POST", "/api/v1/orgs/<int:org_id>/energy/readings/batch", "admin",
          {"items": [READING]}),
    Route("POST", "/api/v1/orgs/<int:org_id>/energy/imports", "admin"),  # multipart
    Route("GET", "/api/v1/energy/import-template", "admin"),
    Route("PATCH", "/api/v1/energy/readings/<int:reading_id>", "admin",
          {"quantity": 2, "reason": "更正"}),
    Route("GET", "/api/v1/energy/readings/<int:reading_id>/history", "admin"),
    Route("POST", "/api/v1/orgs/<int:org_id>/energy/submissions", "admin", {"period": "2024"}),
    Route("GET", "/api/v1/energy/submissions", "superadmin"),
    Route("POST", "/api/v1/energy/submissions/<int:submission_id>/approve", "superadmin", {}),
    Route("POST", "/api/v1/energy/submissions/<int:submission_id>/return", "superadmin",
          {"comment": "请核对"}),
    Route("GET", "/api/v1/orgs/<int:org_id>/energy/report", "admin"),
    Route("GET", "/api/v1/energy/region", "superadmin"),
    Route("GET", "/api/v1/public/energy", "public"),
]
