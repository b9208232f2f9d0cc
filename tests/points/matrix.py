"""Every route of the points blueprint: (method, url rule as in Flask's url_map, min_role).

`min_role` is the least role the route's decorator lets through; object rules come on
top (a member cancels only their own redemption; another organisation's objects are 404).
"""

ROUTE_MATRIX = [
    ("GET", "/api/v1/me/points", "staff"),
    ("POST", "/api/v1/orgs/<int:org_id>/points-adjustments", "admin"),
    ("GET", "/api/v1/rewards", "staff"),
    ("POST", "/api/v1/rewards", "admin"),
    ("GET", "/api/v1/rewards/<int:reward_id>", "staff"),
    ("PATCH", "/api/v1/rewards/<int:reward_id>", "admin"),
    ("DELETE", "/api/v1/rewards/<int:reward_id>", "admin"),
    ("POST", "/api/v1/rewards/<int:reward_id>/stock", "admin"),
    ("GET", "/api/v1/orgs/<int:org_id>/rewards", "admin"),
    ("POST", "/api/v1/rewards/<int:reward_id>/redeem", "staff"),
    ("GET", "/api/v1/me/redemptions", "staff"),
    ("POST", "/api/v1/redemptions/<int:redemption_id>/cancel", "staff"),
    ("POST", "/api/v1/redemptions/<int:redemption_id>/fulfil", "admin"),
    ("GET", "/api/v1/orgs/<int:org_id>/redemptions", "admin"),
]
