"""Count what one request costs: SQL statements and Redis round trips, auth included."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event


@dataclass
class Cost:
    status: int
    statements: int
    redis_round_trips: int
    body: dict


def request_cost(app, client, url: str, headers: dict) -> Cost:
    """GET `url` once and count its statements and its Redis round trips (one per pipeline)."""
    from app.extensions import db
    from app.redis_store import get_gateway

    with app.app_context():
        engine = db.engine
    gateway = get_gateway(app)
    counts = {"sql": 0, "redis": 0}

    def count_statement(_conn, _cursor, statement, *_args):
        if statement != "BEGIN IMMEDIATE":  # SQLite's explicit BEGIN (app/db.py)
            counts["sql"] += 1

    def count_round_trip(operation):
        counts["redis"] += 1
        return run(operation)

    event.listen(engine, "before_cursor_execute", count_statement)
    if gateway is not None:
        run = gateway.run
        gateway.run = count_round_trip
    try:
        response = client.get(url, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
        if gateway is not None:
            del gateway.run
    return Cost(response.status_code, counts["sql"], counts["redis"], response.get_json())
