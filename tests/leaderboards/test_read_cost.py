"""The fixed cost of reading a board: two statements and one Redis round trip."""

from __future__ import annotations

from app.db import now_utc
from leaderboards.sync import sync_boards
from tests.read_cost import request_cost

BOARD = "/api/v1/leaderboards/teams?period=week"


def test_a_team_board_read_costs_the_same_few_statements_however_many_teams(
        app, client, session, make, contribute, redis_gateway):
    small, large = make.org(headcount=10), make.org(headcount=200)
    viewers = []
    for org, teams in ((small, 2), (large, 12)):
        for n in range(teams):
            team = make.team(org, f"队{n}")
            for member in make.users(3, org, team):
                contribute(member, 100 * (n + 1))
        viewers.append(make.user(org, team))
    sync_boards(redis_gateway, session, now_utc(), force=True)
    request_cost(app, client, BOARD, make.headers(viewers[0]))  # warm-up: pools, scripts

    few, many = (request_cost(app, client, BOARD, make.headers(v)) for v in viewers)

    print(f"team board: {few.statements} statements / {few.redis_round_trips} Redis round trips"
          f" (2 teams), {many.statements} / {many.redis_round_trips} (12 teams)")
    assert (few.status, many.status) == (200, 200)
    assert len(many.body["entries"]) == 12
    assert many.body["me"] is not None
    assert (few.statements, few.redis_round_trips) == (many.statements, many.redis_round_trips)
    # the user with their organisation; the teams with their member counts
    assert few.statements == 2
    # readiness and the three metrics of the teams, in one pipeline
    assert few.redis_round_trips == 1
