"""Keep the Redis boards moving with the database, and rebuild them when they are missing.

- `contributions_committed` (points) is answered at start-up: after a transaction commits,
  the contributions it recorded are added to the boards by one script call; rolled
  back work (savepoints included) sends nothing.
- Nothing runs on a timer. A board read that finds the boards not built (Redis restarted
  empty, FLUSHALL), or Redis answering again after a failed update, asks this process's
  `BoardUpkeep` for a pass: one short-lived thread rebuilds (or repairs) under a lease in
  Redis, so one worker of the cluster does the work while the others answer from SQL.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app, has_app_context

from app.clock import now_utc
from app.redis_store import get_gateway
from leaderboards.store import LOCK, PASS_BEGUN, apply_changes, is_ready
from leaderboards.sync import IN_FLIGHT_S
from points.contributions import contributions_committed

log = logging.getLogger(__name__)
LEASE_S = 120


def _apply_committed(app: Flask | None, items: list) -> None:
    if app is None:
        return
    gateway = get_gateway(app)
    if gateway is None:
        return
    if apply_changes(gateway, items, now_utc()) is False:
        BoardUpkeep.of(app).request()  # the boards are not built: build them
    # An update Redis did not take (None) is repaired when it answers again (on_recovery).


def boards_not_ready() -> None:
    """A read found no boards in Redis: build them in the background, answer from SQL now."""
    if has_app_context():
        BoardUpkeep.of(current_app).request()


class BoardUpkeep:
    """At most one pass at a time per process, only when asked.

    A pass rebuilds the boards when they are missing and otherwise corrects what drifted
    from the database (`leaderboards.sync`). A rebuild under load misses commits made while
    it ran (their updates went to the old keys, or were skipped before the boards were
    ready), and a correction leaves alone the members that moved while it read them, so a
    pass that wrote anything or left anything is followed by another `follow_up_s` later,
    until one finds nothing to do; members that keep moving are left after
    `UNSETTLED_PASSES` passes in a row that could correct nothing (the next outage, empty
    boards or restart asks again).
    """

    UNSETTLED_PASSES = 3

    def __init__(self, app: Flask, follow_up_s: float, in_flight_s: float = IN_FLIGHT_S):
        self.app = app
        self.follow_up_s = follow_up_s
        self.in_flight_s = in_flight_s
        self.fruitless = 0  # passes in a row that left members unsettled and wrote nothing
        self.started_at = time.time()
        # Only the start-up check is wanted: any pass begun since this process started
        # (by any worker) has read every commit made before, the ones a crashed worker
        # never sent to Redis included, so it is not done again.
        self.startup_check_only = False
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.wanted = False
        self.stopped = threading.Event()

    @staticmethod
    def of(app: Flask) -> BoardUpkeep:
        return app.extensions["board_upkeep"]

    @property
    def automatic(self) -> bool:
        return self.follow_up_s > 0  # 0: tests and tools run the passes themselves

    def request(self, startup_check: bool = False) -> None:
        if not self.automatic or self.stopped.is_set():
            return
        with self.lock:
            self.startup_check_only = startup_check and (self.startup_check_only
                                                         or not self.wanted)
            self.wanted = True
            if self.thread is not None:
                return
            self.thread = threading.Thread(target=self._work, name="board-upkeep",
                                           daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        thread = self.thread
        if thread is not None:
            thread.join(timeout=5)

    def _work(self) -> None:
        while not self.stopped.is_set():
            with self.lock:
                if not self.wanted:
                    self.thread = None
                    return
                self.wanted = False
            try:
                outcome, written, unsettled = self.run_once()
            except Exception:  # noqa: BLE001 - a failed pass must not end later ones
                log.exception("board upkeep failed")
                outcome, written, unsettled = "failed", 0, 0
            if self.another_pass_due(outcome, written, unsettled) and not self.stopped.wait(
                    self.follow_up_s):
                with self.lock:
                    self.wanted = True
        with self.lock:
            self.thread = None

    def another_pass_due(self, outcome: str, written: int, unsettled: int) -> bool:
        """After a pass that wrote (it may have missed commits), left members that moved
        while it read them (up to `UNSETTLED_PASSES` fruitless passes in a row), failed, or
        found another worker's pass running (which may have started before what we were
        asked for)."""
        self.fruitless = self.fruitless + 1 if unsettled and not written else 0
        return (outcome in ("busy", "failed") or written > 0
                or 0 < self.fruitless < self.UNSETTLED_PASSES)

    def run_once(self) -> tuple[str, int, int]:
        """One pass: ('rebuilt' | 'reconciled' | 'busy' | 'no-redis' | 'skipped', boards or
        members written, members left unsettled)."""
        from app.extensions import db
        from leaderboards.sync import sync_boards

        gateway = get_gateway(self.app)
        if gateway is None:
            return "no-redis", 0, 0
        ready = is_ready(gateway)
        if ready is None:
            return "skipped", 0, 0
        if self.startup_check_only:
            begun = gateway.run(lambda c: c.get(gateway.key(PASS_BEGUN)))
            if begun is not None and float(begun) >= self.started_at:
                self.startup_check_only = False
                return "skipped", 0, 0
        # The lease: of every worker asked at once, one does the pass.
        if not gateway.run(lambda c: c.set(gateway.key(LOCK), "1", nx=True, ex=LEASE_S)):
            return "busy", 0, 0
        self.startup_check_only = False
        gateway.run(lambda c: c.set(gateway.key(PASS_BEGUN), repr(time.time())))
        try:
            with self.app.app_context():
                report = sync_boards(gateway, db.session, now_utc(), force=not ready,
                                     in_flight_s=self.in_flight_s)
                db.session.remove()
        finally:
            gateway.run(lambda c: c.delete(gateway.key(LOCK)))
        written = report.written + report.removed
        log.info("boards %s: %s written, %s removed, %s unsettled",
                 "reconciled" if ready else "rebuilt", report.written, report.removed,
                 report.unsettled)
        return ("reconciled" if ready else "rebuilt"), written, report.unsettled


def init_leaderboards(app: Flask) -> None:
    upkeep = BoardUpkeep(app, float(app.config.get("LEADERBOARD_RECONCILE_SECONDS", 15)))
    app.extensions["board_upkeep"] = upkeep
    contributions_committed.connect(_apply_committed)
    gateway = get_gateway(app)
    if gateway is not None:
        gateway.on_recovery.append(upkeep.request)
        if upkeep.automatic:
            checked = threading.Event()

            @app.before_request
            def _first_pass():
                # The first request checks the boards (a rebuild if Redis lost them while
                # the service was down), not import or start-up: no side effects then.
                if not checked.is_set():
                    checked.set()
                    upkeep.request(startup_check=True)
