"""Operations: liveness, readiness and the human-readable API docs page."""

from __future__ import annotations

import html

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db
from app.lifecycle import draining
from app.redis_store import get_gateway

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up (no dependency checked)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database and, when configured, Redis answer, and the node is not being stopped
    (a TERM turns this to 503 for the drain period first: see gunicorn.conf.py); 503 otherwise."""
    if draining():
        from app.errors import error_response

        return error_response(503, "service_unavailable", details={"checks": {"draining": True}})
    checks = {"database": _database_ok()}
    gateway = get_gateway(current_app)
    if gateway is not None:
        checks["redis"] = gateway.ping()
    ready = all(checks.values())
    if not ready:
        from app.errors import error_response

        return error_response(503, "service_unavailable", details={"checks": checks})
    return jsonify(status="ready", checks=checks)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready
        db.session.remove()
        return False


@bp.after_app_request
def close_while_draining(response):
    """While draining, keep-alive clients (the balancer) are told to reconnect elsewhere."""
    if draining():
        response.headers["Connection"] = "close"
    return response


@bp.get("/docs")
def docs():
    """A plain HTML index of the API, rendered from the OpenAPI document (no CDN needed)."""
    spec = current_app.extensions["smorest_api"].spec.to_dict()
    rows = []
    for path, operations in sorted(spec.get("paths", {}).items()):
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            summary = html.escape(operation.get("summary") or operation.get("description") or "")
            rows.append(f"<tr><td><code>{method.upper()}</code></td>"
                        f"<td><code>{html.escape(path)}</code></td><td>{summary}</td></tr>")
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(spec['info']['title'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}
td{{padding:4px 10px;border-bottom:1px solid #eee}}</style>
</head><body><h1>{html.escape(spec['info']['title'])} {html.escape(spec['info']['version'])}</h1>
<p>机器可读文档 (OpenAPI): <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p>
<table>{''.join(rows)}</table></body></html>"""
    return page, 200, {"Content-Type": "text/html; charset=utf-8"}
