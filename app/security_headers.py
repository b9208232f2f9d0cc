"""Security headers of every response, set in one place (`after_request`).

- `X-Content-Type-Options: nosniff` on everything.
- `Cache-Control: no-store` on /auth/*, on any answer to a request carrying a token and on
  every download (CSV, XLSX): tokens, personal data and reports stay out of shared caches.
- Pages get a restrictive policy of their own: PAGE_HEADERS maps a path prefix to headers;
  the console registers its own prefix (e.g. `script-src 'self'`) with `add_page_headers`.
"""

from __future__ import annotations

from flask import Flask, Response, request

DOCS_HEADERS = {
    # The page is one table and an inline <style>: nothing else may load or frame it.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def add_page_headers(app: Flask, prefix: str, headers: dict[str, str]) -> None:
    """Headers for every response under `prefix` (a page and its assets)."""
    app.extensions.setdefault("page_headers", {})[prefix] = dict(headers)


def _is_private(response: Response) -> bool:
    path = request.path
    return (path.startswith("/api/v1/auth/") or "Authorization" in request.headers
            or response.headers.get("Content-Disposition", "").startswith("attachment"))


def set_security_headers(response: Response) -> Response:
    from flask import current_app

    response.headers["X-Content-Type-Options"] = "nosniff"
    if _is_private(response):
        response.headers["Cache-Control"] = "no-store"
    for prefix, headers in current_app.extensions.get("page_headers", {}).items():
        if request.path == prefix or request.path.startswith(prefix.rstrip("/") + "/"):
            response.headers.update(headers)
    return response


def init_security_headers(app: Flask) -> None:
    add_page_headers(app, "/docs", DOCS_HEADERS)
    app.after_request(set_security_headers)
