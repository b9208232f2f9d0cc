"""Who may call what: the route matrix is exact, staff and organizers get 403 on every
admin route, and every route wants a token."""

from __future__ import annotations

import pytest

from tests.points.helpers import add_reward
from tests.points.matrix import ROUTE_MATRIX

ROWS = [row[:3] for row in ROUTE_MATRIX]
ADMIN_ROUTES = [(m, rule) for m, rule, role in ROWS if role == "admin"]


def _points_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("points.")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _url(rule: str, ids: dict) -> str:
    for name, value in ids.items():
        rule = rule.replace(f"<int:{name}>", str(value))
    return rule


@pytest.fixture
def ids(world, session):
    reward = add_reward(session, world.org)
    return {"org_id": world.org.id, "reward_id": reward.id, "redemption_id": 1}


def test_route_matrix_lists_exactly_the_routes_of_the_blueprint(app):
    assert {(m, rule) for m, rule, _ in ROWS} == _points_routes(app)
    assert len(ROWS) == len(set(ROWS))


def test_staff_and_organizers_get_403_on_every_admin_route(client, make, world, ids):
    members = [make.user(world.org, world.team, role=role) for role in ("staff", "organizer")]
    answers = {(member.role, method, rule): _answer(client.open(
        _url(rule, ids), method=method, json={}, headers=make.headers(member)))
        for member in members for method, rule in ADMIN_ROUTES}
    assert len(answers) == 2 * len(ADMIN_ROUTES) == 20
    assert {k: v for k, v in answers.items() if v != (403, "forbidden")} == {}


def test_every_route_needs_a_token(client, ids):
    answers = {(method, rule): client.open(_url(rule, ids), method=method, json={}).status_code
               for method, rule, _ in ROWS}
    assert {k: v for k, v in answers.items() if v != 401} == {}


def _answer(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]
