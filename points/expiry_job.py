"""The expiry job of the running service: one runner across workers and nodes.

Every process of the service starts a thread (on its first request, never at import)
that wakes every `POINTS_EXPIRY_CHECK_SECONDS` and tries to take the job's lease: a
row of `job_leases` moved forward by `POINTS_EXPIRY_INTERVAL_SECONDS` with one
conditional upsert (PostgreSQL row lock; SQLite has one writer). Only the process
whose statement moved the row runs expiry that turn; the others find the lease taken.
The run itself is idempotent, so a runner that dies half-way is finished by the next.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.clock import now_utc
from points.expiry import expire_points
from points.models import JobLease

log = logging.getLogger(__name__)
JOB_NAME = "points-expiry"


def take_lease(session: Session, name: str, holder: str, now: datetime,
               period: timedelta) -> bool:
    """True when this holder took the job for the next `period` (the caller commits)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(JobLease).values(name=name, holder=holder, next_run_at=now + period)
    statement = statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": statement.excluded.holder,
              "next_run_at": statement.excluded.next_run_at},
        where=JobLease.next_run_at <= now,
    ).returning(JobLease.holder)
    return session.execute(statement).scalar_one_or_none() == holder


def run_if_due(session: Session, holder: str, now: datetime, period: timedelta) -> bool:
    """Take the lease and run expiry as of now; False when another process has it."""
    taken = take_lease(session, JOB_NAME, holder, now, period)
    session.commit()
    if not taken:
        return False
    run = expire_points(session, now, commit=session.commit)
    session.commit()
    log.info("points expired: %s points of %s people in %s organisations",
             run.points, run.people, run.organisations)
    return True


class ExpiryJob:
    """One thread per process trying the lease every `check_s` seconds."""

    def __init__(self, app: Flask, check_s: float, period_s: float):
        self.app = app
        self.check_s = check_s
        self.period = timedelta(seconds=period_s)
        self.holder = f"{socket.gethostname()}:{os.getpid()}"[:100]
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.thread is not None or self.check_s <= 0:
                return
            self.thread = threading.Thread(target=self._loop, name="points-expiry",
                                           daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _loop(self) -> None:
        while not self.stopped.wait(self.check_s):
            self.tick()

    def tick(self) -> bool:
        from app.extensions import db

        try:
            with self.app.app_context():
                try:
                    return run_if_due(db.session, self.holder, now_utc(), self.period)
                finally:
                    db.session.remove()
        except Exception:  # noqa: BLE001 - the loop must outlive any one failure
            log.exception("points expiry failed")
            return False


def init_expiry_job(app: Flask) -> None:
    job = ExpiryJob(app, float(app.config.get("POINTS_EXPIRY_CHECK_SECONDS", 300)),
                    float(app.config.get("POINTS_EXPIRY_INTERVAL_SECONDS", 3600)))
    app.extensions["points_expiry_job"] = job

    @app.before_request
    def _start_expiry_job():
        # Started by the first request, not at import or start-up (no side effects then).
        job.start()
