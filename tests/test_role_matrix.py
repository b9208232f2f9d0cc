"""Authorization everywhere: every API route is in a role matrix, and every row of it holds.

The matrices are data (tests/identity/matrix.py describes the row format). For each row:
no token -> 401; each role below the row's minimum, in the route's own organisation -> 403;
for a route under /orgs/{org_id}, the minimum role of another organisation -> 404 (or 422
when a write row carries no body: parsing may refuse it first, which reveals nothing);
the minimum role itself is let through (neither 401 nor 403, and no server error).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

import pytest

from tests.identity.matrix import ROLE_LADDER, Route

MATRIX_MODULES = (
    "tests.identity.matrix",
    "tests.points.matrix",
    "tests.activities.matrix",
    "tests.leaderboards.matrix",
    "tests.campaigns.matrix",
    "tests.reports.matrix",
    "tests.energy.matrix",
)
AUTH_CODES = {"unauthorized", "token_invalid", "forbidden", "not_enrolled"}
MADE_UP_ID = 987654


def as_route(row) -> Route:
    if isinstance(row, Route):
        return row
    if isinstance(row, dict):
        return Route(**row)
    return Route(*row)


def load_rows() -> list[Route]:
    rows = []
    for name in MATRIX_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):  # that matrix is not written yet
                continue
            raise
        rows.extend(as_route(row) for row in module.ROUTE_MATRIX)
    return rows


ROWS = load_rows()


def api_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/v1/")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_api_route_is_in_a_role_matrix(app):
    missing = sorted(api_routes(app) - {row.key for row in ROWS})
    assert not missing, "routes in no ROUTE_MATRIX (add a row to your matrix.py):\n" + "\n".join(
        f"  {method} {path}" for method, path in missing)


def test_every_matrix_row_names_a_served_route(app):
    served = {(method, rule.rule) for rule in app.url_map.iter_rules()
              for method in rule.methods}
    stale = sorted(row.key for row in ROWS if row.key not in served)
    assert stale == []


def test_no_route_is_listed_twice():
    keys = [row.key for row in ROWS]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []


@dataclass
class Cast:
    org: object
    team: object
    staff: object
    actors: dict  # role -> user of `org` (superadmin: of none; "user": not enrolled)
    outsiders: dict  # role -> user of another organisation


@pytest.fixture
def cast(make, app, monkeypatch):
    # No row may reach the real WeChat: a closed port answers at once.
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9")
    org, other = make.org(), make.org(region="hebei")
    team, other_team = make.team(org), make.team(other)
    actors = {"user": make.user(None, None),
              **{role: make.user(org, team, role) for role in ("staff", "organizer", "admin")},
              "superadmin": make.user(None, None, "superadmin")}
    outsiders = {role: make.user(other, other_team, role)
                 for role in ("staff", "organizer", "admin")}
    return Cast(org, team, actors["staff"], actors, outsiders)


def fill(route: Route, cast: Cast) -> str:
    known = {"org_id": cast.org.id, "team_id": cast.team.id, "user_id": cast.staff.id,
             **route.params}
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: str(known.get(m.group(1), MADE_UP_ID)),
                  route.path)


def call(client, make, route: Route, cast: Cast, actor=None):
    headers = dict(route.headers)
    if actor is not None:
        headers.update(make.headers(actor))
    return client.open(fill(route, cast), method=route.method, json=route.body,
                       headers=headers)


def explain(response) -> str:
    return f"{response.status_code} {response.get_data(as_text=True)[:300]}"


@pytest.mark.parametrize("route", ROWS, ids=[f"{r.method} {r.path}" for r in ROWS])
def test_route_answers_by_role(route, client, make, cast):
    if route.min_role == "public":
        response = call(client, make, route, cast)
        assert response.status_code != 403, explain(response)
        assert (response.get_json(silent=True) or {}).get("error", {}).get(
            "code") not in AUTH_CODES, explain(response)
        return

    response = call(client, make, route, cast)
    assert response.status_code == 401, f"no token: {explain(response)}"

    for role in ROLE_LADDER[:ROLE_LADDER.index(route.min_role)]:
        response = call(client, make, route, cast, cast.actors[role])
        assert response.status_code == 403, f"{role}: {explain(response)}"

    if "<int:org_id>" in route.path and route.min_role in cast.outsiders:
        response = call(client, make, route, cast, cast.outsiders[route.min_role])
        # A write row without a body may be refused by parsing first: 422 reveals nothing.
        allowed = {404} if route.body is not None or route.method == "GET" else {404, 422}
        assert response.status_code in allowed, (
            f"{route.min_role} of another org: {explain(response)}")

    response = call(client, make, route, cast, cast.actors[route.min_role])
    assert response.status_code not in (401, 403), f"{route.min_role}: {explain(response)}"
    assert response.status_code < 500, f"{route.min_role}: {explain(response)}"
