"""Replayable writes keyed by a client's Idempotency-Key (API.md conventions).

The key is claimed in its own short transaction before the work starts, so a
concurrent duplicate sees it at once (409 request_in_progress) and a later retry
gets the stored first outcome, error or success, with its status. The outcome is
stored in the same transaction as the work, so there is never an effect without
its record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from flask import Response, jsonify
from sqlalchemy import Integer, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, scoped_session

from app.errors import ApiError, Conflict, error_body, field_error
from app.models import IdempotencyKey

# A claim older than this was left by a crashed worker; a retry may take it over.
STALE_CLAIM = timedelta(seconds=60)


REPLAYED_HEADER = "Idempotent-Replayed"


def request_fingerprint(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    response = jsonify(row.response_body)
    response.status_code = row.response_status or 200
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _claim(session: Session, user_id: int, scope: str, key: str, fingerprint: str,
           now: datetime) -> int | Response:
    """The claim's id, committed; or the answer to a repeat (a replay, 409, 422)."""
    claim_id = session.execute(_claim_statement(session.get_bind().dialect.name), {
        "user_id": user_id, "scope": scope, "key": key, "request_hash": fingerprint,
        "state": "in_progress", "created_at": now}).scalar()
    if claim_id is not None:
        _commit_keeping_loaded(session)
        return claim_id
    existing = session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.scope == scope,
        IdempotencyKey.key == key))
    if existing is None:  # deleted by a failed first attempt in between: try once more
        return _claim(session, user_id, scope, key, fingerprint, now)
    if existing.request_hash != fingerprint:
        raise field_error("idempotency_key_reused", "Idempotency-Key")
    if existing.state == "done":
        return _replay(existing)
    taken_over = session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == existing.id, IdempotencyKey.state == "in_progress",
               IdempotencyKey.created_at < now - STALE_CLAIM)
        .values(created_at=now)).rowcount
    session.commit()
    if taken_over == 1:
        return existing.id
    raise Conflict("request_in_progress")


@cache
def _claim_statement(dialect: str):
    # Built once: composing an insert costs more Python than its round trip. A key already
    # claimed inserts nothing (no error, no savepoint), and is then read.
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = IdempotencyKey.__table__
    return (insert(table).on_conflict_do_nothing(index_elements=["user_id", "scope", "key"])
            .returning(table.c.id))


def _commit_keeping_loaded(session: Session) -> None:
    """Commit the claim without expiring what the request loaded before it (the user, their
    organisation): the claim's transaction wrote only the key, and reloading them would cost
    the work a statement each."""
    real = session() if isinstance(session, scoped_session) else session
    expire, real.expire_on_commit = real.expire_on_commit, False
    try:
        real.commit()
    finally:
        real.expire_on_commit = expire


def _record(session: Session, claim_id: int, status: int, body: dict) -> None:
    session.execute(_record_statement(), {"claim_id": claim_id, "status": status,
                                          "body": body})


@cache
def _record_statement():
    table = IdempotencyKey.__table__
    return (update(table).where(table.c.id == bindparam("claim_id"))
            .values(state="done", response_status=bindparam("status", type_=Integer),
                    response_body=bindparam("body", type_=table.c.response_body.type)))


def run_idempotent(session: Session, *, user_id: int, scope: str, key: str, payload: object,
                   now: datetime, work: Callable[[], tuple]) -> Response:
    """Run `work` at most once per (user, scope, key) and answer its first outcome.

    `work` answers `(body, status)`, or `(body, status, last)`: `last()` then runs after the
    outcome is recorded, as the transaction's final statements (where a hot row is locked
    for the shortest time); an ApiError from it refuses the request as one from `work` does.
    """
    claimed = _claim(session, user_id, scope, key, request_fingerprint(payload), now)
    if isinstance(claimed, Response):
        return claimed
    claim_id = claimed
    try:
        body, status, *last = work()
        _record(session, claim_id, status, body)
        for step in last:
            step()
    except ApiError as error:
        session.rollback()
        body, status = error_body(error.code, error.details, error.params), error.status
        _record(session, claim_id, status, body)
    except BaseException:
        session.rollback()
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))
        session.commit()
        raise
    session.commit()
    response = jsonify(body)
    response.status_code = status
    return response
