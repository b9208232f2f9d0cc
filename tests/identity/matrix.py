"""Role x endpoint matrix of the identity and operations routes, as data.

tests/test_role_matrix.py collects `ROUTE_MATRIX` from this module and from
tests/points/matrix.py, tests/activities/matrix.py and tests/leaderboards/matrix.py, and
checks every row; a route of app.url_map under /api/v1 that is in no matrix fails the suite.

A row is a `Route` (or a plain tuple `(method, path, min_role[, body])`):
- `path` is the Flask rule exactly as in app.url_map (`/api/v1/orgs/<int:org_id>`).
  The test fills `org_id` with the caller's organisation, `user_id` with a staff member of it,
  `team_id` with one of its teams, any parameter named in `params` with that value
  (`params={"scope": "teams"}`), and any other with a made-up id (a 404 there is fine:
  only 401 and 403 are about authorization).
- `min_role`: `public` (no token needed), `user` (any signed-in user, even one not yet
  enrolled in an organisation), `staff`, `organizer`, `admin`, `superadmin`.
- `body`, `headers`: what to send (enough to get past parsing is plenty).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLE_LADDER = ("user", "staff", "organizer", "admin", "superadmin")
MIN_ROLES = ("public", *ROLE_LADDER)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    min_role: str
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        assert self.min_role in MIN_ROLES, f"unknown min_role {self.min_role!r}"

    @property
    def key(self) -> tuple[str, str]:
        return self.method.upper(), self.path


LATER = "2099-01-01T00:00:00+08:00"
ORG_BODY = {"name": "矩阵测试单位", "region": "tianjin", "sector": "school", "headcount": 10}

ROUTE_MATRIX = [
    # operations and the document itself
    Route("GET", "/healthz", "public"),
    Route("GET", "/readyz", "public"),
    Route("GET", "/docs", "public"),
    Route("GET", "/api/v1/openapi.json", "public"),
    # sign-in
    Route("POST", "/api/v1/auth/login", "public", {"username": "nobody", "password": "wrong"}),
    Route("POST", "/api/v1/auth/wechat", "public", {"code": "any-code"}),
    Route("POST", "/api/v1/auth/refresh", "public", {"refresh_token": "not-a-token"}),
    Route("POST", "/api/v1/auth/logout", "user", {}),
    Route("POST", "/api/v1/auth/enrol", "user", {"invite_code": "NOPE2345",
                                                 "display_name": "新同事"}),
    Route("GET", "/api/v1/me", "user"),
    Route("PATCH", "/api/v1/me", "user", {"display_name": "改名"}),
    Route("POST", "/api/v1/me/password", "user", {"current_password": "wrong-one",
                                                  "new_password": "a-new-long-secret-42"}),
    # organisations (superadmin), one organisation (its admin)
    Route("POST", "/api/v1/orgs", "superadmin", ORG_BODY),
    Route("GET", "/api/v1/orgs", "superadmin"),
    Route("GET", "/api/v1/orgs/<int:org_id>", "admin"),
    Route("PATCH", "/api/v1/orgs/<int:org_id>", "admin", {"headcount": 99}),
    Route("POST", "/api/v1/orgs/<int:org_id>/teams", "admin", {"name": "矩阵团队"}),
    Route("GET", "/api/v1/orgs/<int:org_id>/teams", "staff"),
    Route("POST", "/api/v1/orgs/<int:org_id>/users", "admin",
          {"username": "matrix_user", "display_name": "矩阵用户", "role": "staff"}),
    Route("GET", "/api/v1/orgs/<int:org_id>/users", "admin"),
    Route("GET", "/api/v1/orgs/<int:org_id>/users/<int:user_id>", "admin"),
    Route("PATCH", "/api/v1/orgs/<int:org_id>/users/<int:user_id>", "admin",
          {"display_name": "改名"}),
    Route("POST", "/api/v1/orgs/<int:org_id>/invites", "admin",
          {"role": "staff", "max_uses": 3, "expires_at": LATER}),
    Route("GET", "/api/v1/orgs/<int:org_id>/invites", "admin"),
    Route("GET", "/api/v1/orgs/<int:org_id>/audit", "admin"),
]
