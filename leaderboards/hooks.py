"""Keep Redis boards moving with the database, and heal them after Redis trouble.

- After a transaction commits, the contributions it recorded are applied to the boards
  in one pipelined round trip; a rolled-back transaction (or savepoint) applies nothing.
- A background reconciler per process rebuilds the boards when Redis lost them (restart,
  FLUSHALL) and repairs drift after an outage, so nobody has to run a command.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clock import now_utc
from app.redis_store import get_gateway
from leaderboards.store import LOCK, apply_changes, is_ready
from points.contributions import BOARD_CHANGES

log = logging.getLogger(__name__)
_installed = False


def install_session_hooks() -> None:
    """Register the session listeners once per process (they serve every app)."""
    global _installed
    if _installed:
        return
    _installed = True
    BOARD_CHANGES.install()
    event.listen(Session, "after_commit", _apply_committed)


def _apply_committed(session: Session) -> None:
    changes = BOARD_CHANGES.take(session)
    if not changes or not has_app_context():
        return
    gateway = get_gateway(current_app)
    if gateway is not None:
        applied = apply_changes(gateway, changes, now_utc())
        if applied is False:
            Reconciler.of(current_app).request_sync()


class Reconciler:
    """One thread per process: rebuild lost boards, repair drift after outages."""

    def __init__(self, app: Flask, interval_s: float):
        self.app = app
        self.interval_s = interval_s
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.runs = 0
        self.last_written = 0
        self._check_next = True  # the first tick reconciles

    @staticmethod
    def of(app: Flask) -> Reconciler:
        return app.extensions["leaderboard_reconciler"]

    def start(self) -> None:
        with self.lock:
            if self.thread is not None or self.interval_s <= 0:
                return
            self.thread = threading.Thread(target=self._loop, name="board-reconciler",
                                           daemon=True)
            self.thread.start()

    def request_sync(self) -> None:
        self.wake.set()

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _loop(self) -> None:
        while not self.stopped.is_set():
            self.wake.wait(self.interval_s)
            if self.stopped.is_set():
                return
            woken = self.wake.is_set()
            self.wake.clear()
            self.tick(woken)

    def tick(self, woken: bool = False) -> str:
        """One period of the loop: rebuild lost boards, reconcile when due."""
        due = self._check_next or woken or self.runs % 20 == 0
        self._check_next = False
        self.last_written = 0
        try:
            outcome = self.run_once(reconcile=due)
        except Exception:  # noqa: BLE001 - the loop must outlive any one failure
            log.exception("board reconcile failed")
            return "failed"
        # A pass under load misses commits made while it ran (their board updates were
        # skipped, the boards not ready yet, or overwritten): after a pass that wrote
        # anything, check again next period rather than twenty periods later.
        self._check_next = self.last_written > 0
        return outcome

    def run_once(self, reconcile: bool = False) -> str:
        """Rebuild when the boards are gone, reconcile when asked; 'skipped' when Redis is away."""
        from leaderboards.sync import sync_boards

        self.runs += 1
        gateway = get_gateway(self.app)
        if gateway is None:
            return "no-redis"
        ready = is_ready(gateway)
        if ready is None or (ready and not reconcile):
            return "skipped" if ready is None else "ready"
        got_lock = gateway.run(lambda c: c.set(gateway.key(LOCK), "1", nx=True, ex=120))
        if not got_lock:
            return "busy"
        try:
            from app.extensions import db

            with self.app.app_context():
                report = sync_boards(gateway, db.session, now_utc(), force=not ready)
                db.session.remove()
            self.last_written = report.written + report.removed
            log.info("boards %s: %s written, %s removed", "reconciled" if ready else "rebuilt",
                     report.written, report.removed)
            return "reconciled" if ready else "rebuilt"
        finally:
            gateway.run(lambda c: c.delete(gateway.key(LOCK)))


def init_leaderboards(app: Flask) -> None:
    install_session_hooks()
    reconciler = Reconciler(app, float(app.config.get("LEADERBOARD_RECONCILE_SECONDS", 15)))
    app.extensions["leaderboard_reconciler"] = reconciler
    gateway = get_gateway(app)
    if gateway is not None:
        gateway.on_recovery.append(reconciler.request_sync)

        @app.before_request
        def _start_reconciler():
            # Started by the first request, not at import or start-up (no side effects then).
            reconciler.start()
