"""Every route of the points blueprint: (method, url rule as in Flask's url_map, min_role
[, body]); tests/test_role_matrix.py and tests/points/test_route_access.py check them.

`min_role` is the least role the route's decorator lets through; object rules come on
top (a member cancels only their own redemption; another organisation's objects are 404).
A body, when given, is enough to get past parsing.
"""

ROUTE_MATRIX = [
    ("GET", "/api/v1/me/points", "staff"),
    ("POST", "/api/v1/orgs/<int:org_id>/points-adjustments", "admin",
     {"user_id": 987654, "delta": 5, "reason": "矩阵检查"}),
    ("GET", "/api/v1/rewards", "user"),
    ("POST", "/api/v1/rewards", "admin", {"name": "矩阵奖品", "cost_points": 10, "stock": 1}),
    ("GET", "/api/v1/rewards/<int:reward_id>", "staff"),
    ("PATCH", "/api/v1/rewards/<int:reward_id>", "admin", {"name": "改名"}),
    ("DELETE", "/api/v1/rewards/<int:reward_id>", "admin"),
    ("POST", "/api/v1/rewards/<int:reward_id>/stock", "admin", {"delta": 1, "reason": "补货"}),
    ("GET", "/api/v1/orgs/<int:org_id>/rewards", "admin"),
    ("POST", "/api/v1/rewards/<int:reward_id>/redeem", "staff"),
    ("GET", "/api/v1/me/redemptions", "staff"),
    ("POST", "/api/v1/redemptions/<int:redemption_id>/cancel", "staff"),
    ("POST", "/api/v1/redemptions/<int:redemption_id>/fulfil", "admin", {"pickup_code": "ABC234"}),
    ("GET", "/api/v1/orgs/<int:org_id>/redemptions", "admin"),
    ("GET", "/api/v1/orgs/<int:org_id>/points-policy", "admin"),
    ("PATCH", "/api/v1/orgs/<int:org_id>/points-policy", "admin", {"grams_per_point": 12}),
]
