"""Structured logs: one JSON line per record, one record per request, a request id on each.

`X-Request-ID` comes from the balancer (or any caller) when it is short and of a safe
charset, otherwise a new one is made; the response carries it back and every line logged
while the request runs carries it too, with the route template, the user id and org id.

What a line may hold is decided here, not by each caller: a request line names the route
template (never the path or query string, where a pickup code can sit), never a header or
a body. As a second guard, anything shaped like a bearer token or a JWT is blanked from
messages and stacks. Database errors carry no parameters (engines are built with
hide_parameters, app/config.py), so a password hash or a name never reaches a stack.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

from app.metrics import route_label

log = logging.getLogger("app.request")

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_SECRET_SHAPES = re.compile(
    r"(?i)bearer\s+\S+|eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
# Probes of the balancer and the scraper, every second or so: DEBUG, not an INFO line each.
_PROBE_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def scrub(text: str) -> str:
    return _SECRET_SHAPES.sub("[redacted]", text)


def request_id_from(header: str | None) -> str:
    """The caller's id when it is safe to echo and log; a new one otherwise."""
    if header and _SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _request_fields() -> dict:
    if not has_request_context():
        return {}
    fields: dict = {"request_id": g.get("request_id"), "route": route_label(),
                    "method": request.method}
    # Ids noted when the user was loaded (app/auth.py), never read from the row here: after
    # a rollback it is expired, and reading it would query a database that may be away.
    claims = g.get("token_claims") or {}
    user_id, org_id = g.get("actor_ids") or (claims.get("sub"), claims.get("org"))
    if user_id is not None:
        fields["user_id"] = int(user_id)
    if org_id is not None:
        fields["org_id"] = org_id
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request's fields, stack."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
            **_request_fields(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["stack"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging() -> None:
    """JSON lines on stderr from the root logger (once per process)."""
    root = logging.getLogger()
    if not any(getattr(h, "lc_json", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.lc_json = True
        root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin


def _begin() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))


def _finish(response):
    response.headers[REQUEST_ID_HEADER] = g.get("request_id") or request_id_from(None)
    duration_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
    level = logging.DEBUG if route_label() in _PROBE_ROUTES else logging.INFO
    log.log(level, "request", extra={"fields": {
        "status": response.status_code, "duration_ms": round(duration_ms, 1)}})
    return response


def init_request_log(app: Flask) -> None:
    configure_logging()
    app.before_request(_begin)
    app.after_request(_finish)
