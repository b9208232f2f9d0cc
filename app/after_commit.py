"""After commit: the seam through which one domain reacts to what another has committed.

A domain queues an item for one of its named signals inside a transaction (`defer`); once
the outermost transaction commits, each signal is sent once, with the app as sender (None
outside an app context) and `items`, the list queued for it in order. Work undone by a
rollback, a savepoint's included, sends nothing. Receivers are connected at start-up by the
domains' `init_*` functions called from the app factory (leaderboards: board changes;
app.directory: cached identities to forget), so no domain imports the one it informs.
"""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.session_queue import TransactionQueue

log = logging.getLogger(__name__)
_PENDING = TransactionQueue("after_commit")
_installed = False


def defer(session: Session, signal, *items) -> None:
    """Send `signal` with these items once the session's outermost transaction commits."""
    _PENDING.extend(session, [(signal, item) for item in items])


def install() -> None:
    """Follow every session's transactions (once per process; create_app calls it)."""
    global _installed
    if _installed:
        return
    _installed = True
    _PENDING.install()
    event.listen(Session, "after_commit", _send)


def _send(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a released savepoint: its items wait for the real commit
    pending = _PENDING.take(session)
    if not pending:
        return
    by_signal: dict = {}
    for signal, item in pending:
        by_signal.setdefault(signal, []).append(item)
    sender = current_app._get_current_object() if has_app_context() else None
    for signal, items in by_signal.items():
        try:
            signal.send(sender, items=items)
        except Exception:  # noqa: BLE001 - the work is committed: answer it, log the failure
            log.exception("after-commit receiver of %s failed", signal.name)
