"""Leaderboard rules, each compared between Redis and the SQL truth."""

from __future__ import annotations

import pytest

from leaderboards.service import BoardRequest, read_board
from leaderboards.sync import sync_boards
from tests.factories import now_of


def board(client, make, viewer, scope="users", **params):
    response = client.get(f"/api/v1/leaderboards/{scope}", query_string=params,
                          headers=make.headers(viewer))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def both_ways(app, session, viewer, scope, gateway=None, **kwargs):
    """The board from SQL and, when Redis is there and built, from Redis."""
    request = BoardRequest(scope=scope, **kwargs)
    now = now_of(session)
    sql = read_board(session, None, viewer, request, now)
    if gateway is None:
        return sql, None
    sync_boards(gateway, session, now, force=True)
    redis = read_board(session, gateway, viewer, request, now)
    assert redis.source == "redis"
    return sql, redis


@pytest.fixture
def org_with_people(make):
    org = make.org(headcount=10)
    team_a, team_b = make.team(org, "甲队"), make.team(org, "乙队")
    people = [make.user(org, team_a if n < 3 else team_b) for n in range(5)]
    return org, team_a, team_b, people


def test_equal_values_share_a_rank_and_the_next_rank_skips(
        app, session, make, contribute, org_with_people, redis_gateway):
    _org, _a, _b, people = org_with_people
    for person, grams in zip(people, [5000, 3000, 3000, 1000, 500], strict=True):
        contribute(person, grams)
    sql, redis = both_ways(app, session, people[0], "users", gateway=redis_gateway)
    for result in (sql, redis):
        assert [e["rank"] for e in result.entries] == [1, 2, 2, 4, 5]
        assert [e["value"] for e in result.entries] == [5.0, 3.0, 3.0, 1.0, 0.5]


def test_a_contribution_counts_for_the_team_of_the_time(
        app, session, make, contribute, org_with_people, redis_gateway):
    org, team_a, team_b, people = org_with_people
    mover = people[0]
    contribute(mover, 4000)
    mover.team_id = team_b.id
    session.commit()
    contribute(mover, 1000)
    sql, redis = both_ways(app, session, mover, "teams", gateway=redis_gateway)
    for result in (sql, redis):
        values = {e["id"]: e["value"] for e in result.entries}
        assert values == {team_a.id: 4.0, team_b.id: 1.0}
        assert result.me == {"rank": 2, "value": 1.0}


def test_hidden_people_are_left_out_of_user_boards_but_count_for_their_team(
        app, session, make, contribute, org_with_people, redis_gateway, clock):
    org, team_a, _b, people = org_with_people
    shy = people[1]
    shy.show_on_leaderboard = False
    session.commit()
    contribute(shy, 9000)
    contribute(people[0], 1000)
    sql_users, redis_users = both_ways(app, session, people[0], "users", gateway=redis_gateway)
    for result in (sql_users, redis_users):
        assert [e["id"] for e in result.entries] == [people[0].id]
        assert result.entries[0]["rank"] == 1
        assert result.me == {"rank": 1, "value": 1.0}
    sql_teams, redis_teams = both_ways(app, session, people[0], "teams", gateway=redis_gateway)
    for result in (sql_teams, redis_teams):
        assert {e["id"]: e["value"] for e in result.entries}[team_a.id] == 10.0
    hidden_view = read_board(session, redis_gateway, shy, BoardRequest("users"), clock.now())
    assert hidden_view.me is None


def test_voids_and_adjustments_move_the_boards(
        app, session, make, contribute, org_with_people, redis_gateway, clock):
    _org, _a, _b, people = org_with_people
    sync_boards(redis_gateway, session, clock.now(), force=True)
    contribute(people[0], 2000, points=200)
    contribute(people[1], 1500, points=150)
    contribute(people[0], -2000, points=-200, entries=-1)  # the void of the first activity
    contribute(people[1], 0, points=50, entries=0)  # an admin adjustment
    for metric, expected in (("co2e", {people[1].id: 1.5, people[0].id: 0.0}),
                             ("points", {people[1].id: 200, people[0].id: 0})):
        live = read_board(session, redis_gateway, people[0], BoardRequest("users", metric=metric),
                          clock.now())
        truth = read_board(session, None, people[0], BoardRequest("users", metric=metric),
                           clock.now())
        assert live.source == "redis"
        assert {e["id"]: e["value"] for e in live.entries} == expected
        assert live.entries == truth.entries


def test_spending_points_never_lowers_a_place(app, session, make, contribute, org_with_people,
                                               redis_gateway, clock):
    from points.ledger import credit_points

    _org, _a, _b, people = org_with_people
    contribute(people[0], 3000, points=300)
    contribute(people[1], 2000, points=200)
    credit_points(session, user_id=people[0].id, org_id=people[0].org_id, team_id=None,
                  delta=300, kind="earn", source_type="test", source_id="earn", now=clock.now())
    credit_points(session, user_id=people[0].id, org_id=people[0].org_id, team_id=None,
                  delta=-290, kind="redeem", source_type="test", source_id="spend",
                  now=clock.now())
    session.commit()
    sql, redis = both_ways(app, session, people[0], "users", gateway=redis_gateway,
                           metric="points")
    for result in (sql, redis):
        assert result.me == {"rank": 1, "value": 300}


def test_me_shows_the_callers_place_outside_the_top_n(
        app, session, make, contribute, redis_gateway):
    org = make.org()
    team = make.team(org)
    people = make.users(12, org, team)
    for n, person in enumerate(people):
        contribute(person, 1000 * (n + 1))
    last = people[0]
    sql, redis = both_ways(app, session, last, "users", gateway=redis_gateway, limit=3)
    for result in (sql, redis):
        assert len(result.entries) == 3
        assert result.me == {"rank": 12, "value": 1.0}


def test_per_capita_and_participation_divide_by_members_and_headcount(
        app, session, make, contribute, redis_gateway):
    org = make.org(headcount=4)
    other = make.org(headcount=10)
    team = make.team(org)
    people = make.users(4, org, team)
    contribute(people[0], 3000)
    contribute(people[0], 1000)
    contribute(people[1], 2000)
    make.users(1, other, make.team(other))
    sql, redis = both_ways(app, session, people[0], "teams", gateway=redis_gateway,
                           metric="per_capita_co2e")
    for result in (sql, redis):
        assert result.entries[0]["value"] == 1.5  # 6 kg over 4 members
        assert result.entries[0]["members"] == 4
    sql, redis = both_ways(app, session, people[0], "orgs", gateway=redis_gateway,
                           metric="participation_rate", region="beijing")
    for result in (sql, redis):
        values = {e["id"]: (e["value"], e["withheld"]) for e in result.entries}
        assert values[org.id] == (0.5, False)  # 2 of a declared headcount of 4
        assert values[other.id] == (None, True)  # no participants, seen from outside


def test_last_weeks_contributions_are_not_in_this_weeks_board(
        app, session, make, contribute, org_with_people, last_week, redis_gateway):
    _org, _a, _b, people = org_with_people
    contribute(people[0], 5000, day=last_week)
    contribute(people[1], 100)
    for period, expected in (("week", [people[1].id]), ("all", [people[0].id, people[1].id])):
        sql, redis = both_ways(app, session, people[0], "users", gateway=redis_gateway,
                               period=period)
        for result in (sql, redis):
            assert [e["id"] for e in result.entries] == expected


def test_board_endpoint_answers_the_contract_shape(client, make, contribute, org_with_people):
    _org, team_a, _b, people = org_with_people
    contribute(people[0], 1234)
    body = board(client, make, people[0], "teams", period="month", metric="co2e")
    assert set(body) == {"period", "metric", "entries", "me"}
    assert body["period"]["start"].endswith("+08:00")
    assert body["entries"][0] == {"rank": 1, "id": team_a.id, "name": "甲队", "value": 1.234,
                                  "members": 3}
    assert body["me"] == {"rank": 1, "value": 1.234}


def test_unknown_period_or_metric_is_a_422(client, make, org_with_people):
    viewer = org_with_people[3][0]
    for params in ({"period": "decade"}, {"metric": "speed"},
                   {"metric": "participation_rate"}):
        response = client.get("/api/v1/leaderboards/users", query_string=params,
                              headers=make.headers(viewer))
        assert response.status_code == 422
        assert response.get_json()["error"]["code"] == "validation_error"


def test_another_organisations_board_is_not_found(client, make, org_with_people):
    viewer = org_with_people[3][0]
    other = make.org()
    response = client.get("/api/v1/leaderboards/users", query_string={"org_id": other.id},
                          headers=make.headers(viewer))
    assert response.status_code == 404


def test_every_board_sent_is_its_schemas_dump_byte_for_byte(app, client, make, contribute,
                                                             org_with_people):
    """The route sends the board as the service builds it, without a schema walk: it must
    be exactly what its documented schema (BoardOut) would send, for every scope, metric
    and period, with and without the caller's own place, withheld organisations included."""
    import json

    from leaderboards.schemas import BoardOut

    _org, _a, _b, people = org_with_people
    contribute(people[0], 1234)
    outsider = make.user(make.org(), None)
    for viewer in (people[0], people[4], outsider):
        for scope in ("users", "teams", "orgs"):
            for metric in ("co2e", "points", "participation"):
                for period in ("week", "all"):
                    if scope == "teams" and viewer is outsider:
                        continue
                    response = client.get(f"/api/v1/leaderboards/{scope}", query_string={
                        "metric": metric, "period": period}, headers=make.headers(viewer))
                    if response.status_code == 422:  # not every metric fits every scope
                        continue
                    assert response.status_code == 200, response.get_json()
                    sent = response.get_json()
                    documented = BoardOut().dump(BoardOut().load(sent))
                    assert response.get_data(as_text=True) == app.json.dumps(
                        documented, separators=(",", ":")) + "\n", (scope, metric, period)
                    assert json.dumps(sent, sort_keys=True) == json.dumps(documented,
                                                                          sort_keys=True)
