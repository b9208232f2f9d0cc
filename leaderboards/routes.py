"""HTTP route of the leaderboards."""

from __future__ import annotations

from flask import current_app

from app.auth import authenticated, current_user
from app.clock import now_utc
from app.extensions import db
from app.openapi import Blueprint, documented_json
from app.pagination import MAX_LIMIT
from app.redis_store import get_gateway
from leaderboards.schemas import BoardOut, BoardQuery
from leaderboards.service import BoardRequest, read_board

blp = Blueprint("leaderboards", __name__, url_prefix="/api/v1",
                description="排行榜 (leaderboards)")


@blp.route("/leaderboards/<any(teams, users, orgs):scope>", methods=["GET"])
@authenticated("staff", cached=True)  # the board read needs no SQL
@blp.arguments(BoardQuery, location="query")
@blp.response(200, BoardOut)
def leaderboard(query, scope):
    """A board of people, teams or institutions for a period and metric."""
    request = BoardRequest(scope=scope, **{**query, "limit": min(query["limit"], MAX_LIMIT)})
    board = read_board(db.session, get_gateway(current_app), current_user(), request, now_utc())
    # Held to BoardOut by tests/leaderboards/test_boards.py.
    return documented_json({
        "period": {"start": board.period.start_at(), "end": board.period.end_at()},
        "metric": board.metric, "entries": board.entries, "me": board.me})
