"""Every route of the leaderboards blueprint (see tests/identity/matrix.py for the format)."""

ROUTE_MATRIX = [
    {"method": "GET", "path": "/api/v1/leaderboards/<any(teams, users, orgs):scope>",
     "min_role": "staff", "params": {"scope": "teams"}},
]
