"""Reports from a streaming read replica (DATABASE_REPLICA_URL), with a bounded staleness.

Reports and the region comparison are large reads that may be a little old; a person's own
data (balance, activities, redemptions) and every write always go to the primary.

Staleness bound: a report is read on the replica only when, at the start of the request,
its WAL receiver is streaming and it has replayed everything it received, or its last
replayed transaction is at most REPLICA_MAX_LAG_SECONDS (default 30) old. Otherwise (the
replica is away, lagging, or cut off from the primary) the report is read on the primary,
and an unreachable replica is not tried again for a few seconds, so an outage costs no
request more than one failed connection. `lc_replica_reads_total` and
`lc_replica_fallbacks_total{reason}` count both outcomes.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app, g
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import metrics
from app.config import engine_options
from app.extensions import db

log = logging.getLogger(__name__)

# Seconds behind the primary; NULL when the replica is not receiving WAL (cut off).
LAG_SQL = text("""
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN NULL
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
    END""")


class ReplicaReader:
    def __init__(self, url: str, max_lag_s: float, cooldown_s: float = 5.0):
        options = {**engine_options(url), "pool_size": 5, "max_overflow": 10}
        self.engine = create_engine(url, **options)
        self.max_lag_s = max_lag_s
        self._cooldown_s = cooldown_s
        self._down_until = 0.0
        self._lock = threading.Lock()

    def session(self) -> Session | None:
        """A read session on the replica, or None: read on the primary this time."""
        if time.monotonic() < self._down_until:
            metrics.REPLICA_FALLBACKS.labels("away").inc()
            return None
        try:
            connection = self.engine.connect()
            lag = connection.execute(LAG_SQL).scalar()
        except DBAPIError as exc:
            with self._lock:
                self._down_until = time.monotonic() + self._cooldown_s
            log.warning("read replica unavailable (%s); reports from the primary",
                        exc.__class__.__name__)
            metrics.REPLICA_FALLBACKS.labels("away").inc()
            return None
        if lag is None or float(lag) > self.max_lag_s:
            connection.close()
            metrics.REPLICA_FALLBACKS.labels("lagging").inc()
            return None
        metrics.REPLICA_READS.inc()
        return Session(bind=connection)


def report_session() -> Session:
    """The session a report reads with: the replica's when it may, else the primary's."""
    reader: ReplicaReader | None = current_app.extensions.get("replica")
    if reader is None:
        return db.session
    session = reader.session()
    if session is None:
        return db.session
    g.replica_session = session
    return session


def _close_replica_session(_exc) -> None:
    session = g.pop("replica_session", None)
    if session is not None:
        bind = session.get_bind()
        session.close()
        bind.close()


def init_replica(app: Flask) -> None:
    url = app.config.get("DATABASE_REPLICA_URL")
    app.extensions["replica"] = (
        ReplicaReader(url, app.config["REPLICA_MAX_LAG_SECONDS"]) if url else None)
    app.teardown_appcontext(_close_replica_session)
