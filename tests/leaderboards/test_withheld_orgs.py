"""Organisation boards seen from outside an organisation withhold it when fewer than 10 of
its people took part in the period, as the public disclosure does (issue 13)."""

from __future__ import annotations

import pytest

from tests.leaderboards.test_boards import both_ways


@pytest.fixture
def beijing(make, contribute):
    """A 3-person institution and a 12-person one in Beijing, everyone contributing."""
    small, big = make.org(name="小单位", headcount=3), make.org(name="大单位", headcount=40)
    small_people = make.users(3, small, make.team(small))
    big_people = make.users(12, big, make.team(big))
    for person in small_people:
        contribute(person, 9000)
    for person in big_people:
        contribute(person, 1000)
    return small, big, small_people


def board(client, make, viewer, metric="co2e"):
    response = client.get(f"/api/v1/leaderboards/orgs?region=beijing&metric={metric}",
                          headers=make.headers(viewer))
    assert response.status_code == 200, response.get_json()
    return {e["id"]: e for e in response.get_json()["entries"]}


@pytest.mark.parametrize("metric", ["co2e", "points", "participation_rate", "per_capita_co2e"])
def test_a_small_institution_is_withheld_from_another_regions_user(client, make, beijing,
                                                                   metric):
    small, big, _ = beijing
    outsider = make.user(make.org(name="天津单位", region="tianjin"), None)

    entries = board(client, make, outsider, metric)

    assert (entries[small.id]["value"], entries[small.id]["rank"],
            entries[small.id]["withheld"]) == (None, None, True)
    assert entries[small.id]["name"] == "小单位"
    assert (entries[big.id]["rank"], entries[big.id]["withheld"]) == (1, False)
    assert entries[big.id]["value"] is not None


def test_withheld_institutions_come_after_the_ranked_ones(client, make, beijing):
    small, big, _ = beijing
    neighbour = make.user(big, None)

    response = client.get("/api/v1/leaderboards/orgs?region=beijing",
                          headers=make.headers(neighbour)).get_json()

    assert [e["id"] for e in response["entries"]] == [big.id, small.id]


def test_its_own_members_and_superadmins_see_its_figures(client, make, beijing):
    small, _, small_people = beijing
    superadmin = make.user(None, None, role="superadmin")

    own = board(client, make, small_people[0])[small.id]
    coordinator = board(client, make, superadmin)[small.id]

    assert (own["value"], own["rank"], own["withheld"]) == (27.0, 1, False)
    assert (coordinator["value"], coordinator["withheld"]) == (27.0, False)


def test_redis_and_sql_withhold_alike(app, session, make, beijing, redis_gateway):
    small, big, _ = beijing
    outsider = make.user(make.org(name="河北单位", region="hebei"), None)

    sql, redis = both_ways(app, session, outsider, "orgs", gateway=redis_gateway,
                           region="beijing")

    for result in (sql, redis):
        by_id = {e["id"]: e for e in result.entries}
        assert (by_id[small.id]["value"], by_id[small.id]["withheld"]) == (None, True)
        assert (by_id[big.id]["value"], by_id[big.id]["withheld"]) == (12.0, False)
