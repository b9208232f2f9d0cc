"""Prometheus metrics: `GET /metrics`, open to the operator's network only (METRICS_ALLOW).

Under gunicorn every worker is a process of its own: prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, prepared by gunicorn.conf.py) lets each write its figures to a
file and a scrape, whichever worker answers it, add them up. Without that variable (tests,
`flask` commands) the figures of this one process are served.

Labels are bounded sets only: the route template (`/api/v1/rewards/<int:reward_id>/redeem`,
never the path with its ids), the method, the status, a rate limit's name. Never a person's
id, an organisation's id or anything typed by a client.

Domain counters are named here so every package counts the same way: a route increments
one after its transaction committed, e.g. `metrics.ACTIVITIES_LOGGED.inc()`.
"""

from __future__ import annotations

import ipaddress
import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.errors import Forbidden

HTTP_REQUESTS = Counter("lc_http_requests_total", "HTTP requests answered",
                        ["route", "method", "status"])
HTTP_LATENCY = Histogram("lc_http_request_duration_seconds", "Time to answer a request",
                         ["route", "method"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ACTIVITIES_LOGGED = Counter("lc_activities_logged_total", "Activities stored (replays excluded)")
REDEMPTIONS = Counter("lc_redemptions_total", "Rewards redeemed (replays excluded)")
CHECKINS = Counter("lc_checkins_total", "Event check-ins stored")
ENERGY_READINGS = Counter("lc_energy_readings_total",
                          "Energy readings stored (by hand, batch, file or meter push)")
REDIS_FALLBACKS = Counter("lc_redis_fallbacks_total",
                          "Redis operations answered from the database instead")
REDIS_RECONNECTS = Counter("lc_redis_reconnects_total", "Redis answering again after an outage")
RATE_LIMIT_REFUSALS = Counter("lc_rate_limit_refusals_total", "Requests refused with 429",
                              ["limit"])
REPLICA_READS = Counter("lc_replica_reads_total", "Reports read from the read replica")
REPLICA_FALLBACKS = Counter("lc_replica_fallbacks_total",
                            "Reports read from the primary because the replica was away or late",
                            ["reason"])
DB_POOL = Gauge("lc_db_pool_connections", "Database connections of the pool by state",
                ["state"], multiprocess_mode="livesum")

bp = Blueprint("metrics", __name__)
UNMATCHED_ROUTE = "<unmatched>"  # 404s: their paths are whatever a client typed


def peer_address() -> str | None:
    """The address that opened the connection, never one a client wrote in a header
    (X-Forwarded-For, which ProxyFix turns into remote_addr behind a balancer)."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return original.get("REMOTE_ADDR") or request.remote_addr


def _allowed(address: str | None, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


@bp.get("/metrics")
def metrics():
    """Prometheus text format; 403 unless the caller's address is in METRICS_ALLOW."""
    if not _allowed(peer_address(), current_app.config["METRICS_ALLOW"]):
        raise Forbidden()
    update_pool_gauge()
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def update_pool_gauge() -> None:
    from app.extensions import db

    pool = db.engine.pool
    if not hasattr(pool, "checkedout"):  # pools without a queue keep no such count
        return
    DB_POOL.labels("in_use").set(pool.checkedout())
    DB_POOL.labels("idle").set(pool.checkedin())
    DB_POOL.labels("overflow").set(max(pool.overflow(), 0))


def route_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED_ROUTE


def _observe(response):
    elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
    route, method = route_label(), request.method
    HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
    HTTP_LATENCY.labels(route, method).observe(elapsed)
    return response


def init_metrics(app: Flask) -> None:
    """After app.request_log.init_request_log, whose timer this reads."""
    app.after_request(_observe)
    app.teardown_request(lambda _exc: update_pool_gauge())
    app.register_blueprint(bp)
