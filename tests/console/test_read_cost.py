"""What a console page costs in SQL statements, against the JSON read it shows (at most 3x),
and independent of how much there is to show (no statement per row)."""

from __future__ import annotations

import pytest

from tests.points.helpers import add_reward, give_points, redeem
from tests.read_cost import request_cost

MAX_RATIO = 3
pytestmark = pytest.mark.commits  # counts the app's own statements, without savepoints


def _statements(app, client, url: str, headers: dict | None = None) -> int:
    cost = request_cost(app, client, url, headers or {})
    assert cost.status == 200, url
    return cost.statements


def _claims(session, client, make, people, count: int) -> list[str]:
    reward = add_reward(session, people.org, cost=1, stock=count, name="纸袋")
    give_points(session, people.staff, count)
    return [redeem(client, make, people.staff, reward.id, f"k{reward.id}-{i}").get_json()[
        "redemption"]["pickup_code"] for i in range(count)]


def test_dashboard_costs_at_most_3x_the_org_report(app, sign_in, people, client, make):
    page = _statements(app, sign_in(people.admin).client, f"/console/orgs/{people.org.id}")
    api = _statements(app, client, f"/api/v1/reports/orgs/{people.org.id}",
                      make.headers(people.admin))
    assert page <= MAX_RATIO * api, (page, api)


def test_region_page_costs_at_most_3x_the_region_report(app, sign_in, people, client, make):
    page = _statements(app, sign_in(people.coordinator).client, "/console/region")
    api = _statements(app, client, "/api/v1/reports/region",
                      make.headers(people.coordinator))
    assert page <= MAX_RATIO * api, (page, api)


@pytest.mark.parametrize("handed_over", [1, 8])
def test_counter_costs_at_most_3x_the_pending_list_whatever_was_handed_out(
        app, sign_in, people, session, client, make, handed_over):
    admin = sign_in(people.admin)
    for code in _claims(session, client, make, people, handed_over + 2)[:handed_over]:
        assert admin.post(f"/console/orgs/{people.org.id}/counter",
                          {"pickup_code": code}).status_code == 200
    page = _statements(app, admin.client, f"/console/orgs/{people.org.id}/counter")
    api = _statements(app, client, f"/api/v1/orgs/{people.org.id}/redemptions?status=pending",
                      make.headers(people.admin))
    assert page <= MAX_RATIO * api, (page, api)
    assert page <= 6  # session + organisation + handed out + per reward: no row-by-row reads


def test_staff_page_cost_does_not_grow_with_redemptions(app, sign_in, people, session, client,
                                                       make):
    staff = sign_in(people.staff)
    _claims(session, client, make, people, 1)
    few = _statements(app, staff.client, "/console/me")
    _claims(session, client, make, people, 6)
    assert _statements(app, staff.client, "/console/me") == few
