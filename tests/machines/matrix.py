"""Every user route of API keys and the exchange (see tests/identity/matrix.py)."""

from tests.identity.matrix import Route

ROUTE_MATRIX = [
    Route("POST", "/api/v1/orgs/<int:org_id>/api-keys", "admin",
          {"name": "网关", "scopes": ["energy:write"]}),
    Route("GET", "/api/v1/orgs/<int:org_id>/api-keys", "admin"),
    Route("POST", "/api/v1/api-keys", "superadmin",
          {"name": "天津", "region": "tianjin", "scopes": ["exchange:read"]}),
    Route("GET", "/api/v1/api-keys", "superadmin"),
    Route("DELETE", "/api/v1/api-keys/<int:key_id>", "admin"),
    Route("GET", "/api/v1/exchange/v1/public-key", "public"),
    Route("GET", "/api/v1/exchange/v1/region", "superadmin"),
    Route("POST", "/api/v1/exchange/partners", "superadmin",
          {"name": "天津", "region": "tianjin", "public_key": "x"}),
    Route("GET", "/api/v1/exchange/partners", "superadmin"),
    Route("POST", "/api/v1/exchange/imports", "superadmin", {"format": "x"}),
    Route("GET", "/api/v1/exchange/peers", "superadmin"),
]

# Opened by an API key alone: every user's token is refused (test_meter_readings.py).
KEY_ONLY_ROUTES = [("POST", "/api/v1/energy/meter-readings")]
