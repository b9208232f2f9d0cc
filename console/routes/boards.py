"""Leaderboards for everyone signed in: people, teams or institutions, by period and metric."""

from __future__ import annotations

from flask import current_app, request

from app.clock import now_utc
from app.extensions import db
from app.redis_store import get_gateway
from console.blueprint import bp
from console.web import current_user, form_data, page, render, t
from leaderboards.schemas import BoardQuery
from leaderboards.service import BoardRequest, read_board

SCOPES = ("teams", "users", "orgs")
PERIODS = ("week", "month", "year", "all")
BOARD_LIMIT = 50


@bp.route("/boards", methods=["GET"])
@page("staff")
def boards():
    """The board the query names (default: teams this week by carbon saved)."""
    scope = request.args.get("scope", "teams")
    scope = scope if scope in SCOPES else "teams"
    query = form_data(BoardQuery(), {"period": "boards.period", "metric": "boards.metric"},
                      fields=request.args)
    board = read_board(db.session, get_gateway(current_app), current_user(),
                       BoardRequest(scope=scope, **{**query, "limit": BOARD_LIMIT}), now_utc())
    return render("boards.html", title=t("boards.title"), board=board, scope=scope,
                  scopes=SCOPES, periods=PERIODS, query=query)
