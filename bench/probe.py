"""Baselines for `make bench`: what the stack costs before any domain work.

`bench.probe:create_app()` is the service plus two routes, for the bench's own server:
`/_probe/json` checks the token and answers a small JSON body without the database;
`/_probe/commit` checks the token, inserts one row and commits. The service itself has
neither the routes nor the table: the bench makes its table (`create_probe_table`).
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, jsonify
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.engine import Engine

from app import create_app as create_service_app
from app.auth import authenticated
from app.clock import now_utc
from app.db import UTCDateTime
from app.extensions import db

bp = Blueprint("probe", __name__, url_prefix="/_probe")

# One row per commit-baseline request (the cheapest write a request can make). Its own
# metadata: the service's schema and migrations know nothing of it.
probe_writes = Table(
    "bench_probe_writes", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("label", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


def create_probe_table(engine: Engine) -> None:
    probe_writes.create(engine, checkfirst=True)


def drop_probe_table(engine: Engine) -> None:
    probe_writes.drop(engine, checkfirst=True)


@bp.get("/json")
@authenticated("staff", enrolled=False, load_user=False)
def json_baseline():
    """Token verified, a small JSON body, no database."""
    return jsonify(ok=True, user_id=int(g.token_claims["sub"]), at=now_utc().isoformat())


@bp.post("/commit")
@authenticated("staff", enrolled=False, load_user=False)
def commit_baseline():
    """Token verified, one row inserted, one commit."""
    result = db.session.execute(insert(probe_writes).values(
        user_id=int(g.token_claims["sub"]), label="probe", created_at=now_utc()))
    db.session.commit()
    return jsonify(id=result.inserted_primary_key[0]), 201


def create_app(overrides: dict | None = None) -> Flask:
    """The service with the baseline routes (gunicorn "bench.probe:create_app()")."""
    app = create_service_app(overrides)
    app.register_blueprint(bp)
    return app
