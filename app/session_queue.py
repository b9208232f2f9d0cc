"""Work queued on a session until its transaction ends, dropped with whatever rolls back.

The named signals sent after a transaction commits (`app.after_commit`) wait in a list
in `session.info`; a savepoint remembers the list's length when it opens and cuts the
list back if it rolls back, and a rolled-back transaction empties it, so nothing queued by
undone work is ever applied.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session


class TransactionQueue:
    """A savepoint-aware list named `name` in each session's `info`."""

    def __init__(self, name: str):
        self.name = name
        self._marks = f"{name}:savepoints"
        self._installed = False

    def add(self, session: Session, item) -> None:
        session.info.setdefault(self.name, []).append(item)

    def extend(self, session: Session, items) -> None:
        session.info.setdefault(self.name, []).extend(items)

    def take(self, session: Session) -> list:
        """Everything queued, emptying the queue (at commit)."""
        session.info.pop(self._marks, None)
        return session.info.pop(self.name, [])

    def install(self) -> None:
        """Follow savepoints and rollbacks of every session (once per process)."""
        if self._installed:
            return
        self._installed = True
        event.listen(Session, "after_transaction_create", self._remember_position)
        event.listen(Session, "after_soft_rollback", self._forget_rolled_back)

    def _remember_position(self, session: Session, transaction) -> None:
        if transaction.nested:
            session.info.setdefault(self._marks, {})[id(transaction)] = len(
                session.info.get(self.name, ()))

    def _forget_rolled_back(self, session: Session, previous_transaction) -> None:
        if previous_transaction.nested:
            position = session.info.get(self._marks, {}).pop(id(previous_transaction), None)
            pending = session.info.get(self.name)
            if pending is not None and position is not None:
                del pending[position:]
        elif previous_transaction.parent is None:
            self.take(session)
