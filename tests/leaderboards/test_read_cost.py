"""The fixed cost of reading a board.

With Redis, a team board is answered without SQL: the signed-in person and their
organisation's teams come from `app.directory` (kept exact by generations, see
tests/leaderboards/test_board_access.py), the totals from the boards.
"""

from __future__ import annotations

import pytest

from leaderboards.sync import sync_boards
from tests.read_cost import request_cost

BOARD = "/api/v1/leaderboards/teams?period=week"


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_a_team_board_read_costs_no_statement_however_many_teams(
        app, client, session, make, contribute, redis_gateway, clock):
    small, large = make.org(headcount=10), make.org(headcount=200)
    viewers = []
    for org, teams in ((small, 2), (large, 12)):
        for n in range(teams):
            team = make.team(org, f"队{n}")
            for member in make.users(3, org, team):
                contribute(member, 100 * (n + 1))
        viewers.append(make.user(org, team))
    sync_boards(redis_gateway, session, clock.now(), force=True)
    first = request_cost(app, client, BOARD, make.headers(viewers[0]))
    request_cost(app, client, BOARD, make.headers(viewers[1]))

    few, many = (request_cost(app, client, BOARD, make.headers(v)) for v in viewers)

    print(f"team board: {few.statements} statements / {few.redis_round_trips} Redis round trips"
          f" (2 teams), {many.statements} / {many.redis_round_trips} (12 teams); first read"
          f" {first.statements} / {first.redis_round_trips}")
    assert (few.status, many.status) == (200, 200)
    assert len(many.body["entries"]) == 12
    assert many.body["me"] is not None
    assert (few.body, few.statements, few.redis_round_trips) == (
        first.body, many.statements, many.redis_round_trips)
    assert few.statements == 0
    # the person with their organisation's teams, then the boards (readiness, three metrics)
    assert few.redis_round_trips == 2
    # A first read fills the two entries: the person with their organisation, the teams.
    assert first.statements == 2


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_a_team_board_read_without_redis_costs_three_statements(
        app, client, session, make, contribute, monkeypatch):
    org = make.org(headcount=10)
    team = make.team(org)
    viewer = make.user(org, team)
    contribute(viewer, 500)
    monkeypatch.setitem(app.extensions, "redis_gateway", None)

    cost = request_cost(app, client, BOARD, make.headers(viewer))

    assert cost.status == 200
    assert cost.body["entries"][0]["value"] == 0.5
    # the person with their organisation; the teams with their members; the totals
    assert (cost.statements, cost.redis_round_trips) == (3, 0)


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_a_people_board_read_asks_redis_once_even_with_hidden_people(
        app, client, session, make, contribute, redis_gateway, clock):
    org = make.org(headcount=10)
    team = make.team(org, "甲队")
    people = make.users(6, org, team)
    for n, person in enumerate(people):
        contribute(person, 100 * (n + 1))
    hidden = people[-1]  # the best scorer, above the viewer, is hidden
    hidden.show_on_leaderboard = False
    session.commit()
    sync_boards(redis_gateway, session, clock.now(), force=True)
    url = "/api/v1/leaderboards/users?period=week&limit=2"
    request_cost(app, client, url, make.headers(people[0]))  # warm-up: the person's entry

    cost = request_cost(app, client, url, make.headers(people[0]))

    assert cost.status == 200
    assert [e["id"] for e in cost.body["entries"]] == [people[4].id, people[3].id]
    assert cost.body["me"]["rank"] == 5
    # the organisation; the hidden people; the names shown
    assert cost.statements == 3
    # the person; the board: one pipeline (readiness, the top, my score, the hidden people's
    # scores) and, as the caller is below the top, a count of the people above them
    assert cost.redis_round_trips == 2
