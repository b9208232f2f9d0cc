"""Wiring the console into the app: cookie and CSRF settings, blueprints, headers, signals."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from flask import Flask, g, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.clock import now_utc
from app.errors import ApiError
from app.i18n import message_for
from app.signals import sessions_ended, user_deactivated

log = logging.getLogger(__name__)
csrf = CSRFProtect()

# No inline script or style anywhere: every script and style is a file the app serves.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'none'")


def init_console(app: Flask) -> None:
    import console.models  # noqa: F401 - registers the table
    from console import routes  # noqa: F401 - attaches the pages to the blueprints
    from console.blueprint import bp, public_bp

    app.config["SESSION_COOKIE_NAME"] = "lc_console"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Behind HTTPS set CONSOLE_COOKIE_SECURE=1 (make run serves plain http on 127.0.0.1).
    app.config["SESSION_COOKIE_SECURE"] = (
        os.environ.get("CONSOLE_COOKIE_SECURE", "").lower() in ("1", "true", "yes"))
    app.config.setdefault("CONSOLE_SESSION_TTL", timedelta(
        seconds=int(os.environ.get("CONSOLE_SESSION_TTL", str(12 * 3600)))))
    # Only console forms are checked (in `protect_forms`): the JSON API takes bearer tokens.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session
    csrf.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
    user_deactivated.connect(_end_sessions_of_deactivated, weak=False)
    sessions_ended.connect(_end_sessions_of_deactivated, weak=False)


def attach_hooks(blueprints) -> None:
    """Once per blueprint (at import): CSRF, headers, page context, error pages."""
    from console.web import page_context

    for blueprint in blueprints:
        blueprint.before_request(protect_forms)
        blueprint.after_request(page_headers)
        blueprint.context_processor(page_context)
        blueprint.register_error_handler(CSRFError, csrf_refused)
        blueprint.register_error_handler(ApiError, error_page)
        blueprint.register_error_handler(Exception, unexpected_error_page)


UPLOAD_MAX_BYTES = 2 * 1024 * 1024  # imports carry a file; the JSON API keeps its 64 KiB
UPLOAD_ENDPOINTS = ("console.people_import_submit", "console.energy_import")


def protect_forms() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = UPLOAD_MAX_BYTES
        request.max_form_memory_size = UPLOAD_MAX_BYTES * 2
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def page_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    lang = request.args.get("lang")
    if lang in ("zh", "en"):
        response.set_cookie("lc_lang", lang, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
    return response


def _end_sessions_of_deactivated(sender, user_id: int, **_extra) -> None:
    from console.sessions import end_sessions_of

    end_sessions_of(sender, user_id, now_utc())


def csrf_refused(error: CSRFError):
    from console.web import render, t

    g.pop("console_user", None)
    return render("error.html", 400, title=t("error.title"), message=t("error.csrf"),
                  details={})


def error_page(error: ApiError):
    from app.extensions import db
    from console.web import language, render, t

    db.session.rollback()
    if error.status == 401:
        session.pop("sid", None)
    template = "_alert.html" if request.headers.get("HX-Request") else "error.html"
    response = render(template, error.status, title=t("error.title"),
                      message=message_for(error.message_code or error.code, error.params,
                                          language()),
                      details=error.details, code=error.code)
    return (*response, error.headers)


def unexpected_error_page(error: Exception):
    from werkzeug.exceptions import HTTPException

    from app.errors import is_unstorable_value
    from app.extensions import db
    from console.web import language, render, t

    if is_unstorable_value(error):  # a value no column can hold: the input, not a fault
        db.session.rollback()
        return render("error.html", 422, title=t("error.title"),
                      message=message_for("validation_error", None, language()), details={})
    if isinstance(error, HTTPException):
        status = error.code or 500
        return render("error.html", status, title=t("error.title"),
                      message=t(f"error.http_{status}" if status in (400, 404, 405, 413)
                                else "error.http_400"), details={})
    log.exception("console page failed")
    db.session.rollback()
    return render("error.html", 500, title=t("error.title"), message=t("error.internal"),
                  details={})
