"""Domain errors and the single error shape of API.md.

Every error leaves as `{"error": {"code", "message", "details"}}`, produced only here.
"""

from __future__ import annotations

import logging
import traceback

import marshmallow as ma
from flask import Flask, jsonify
from sqlalchemy.exc import DataError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app.i18n import message_for, translate_field_messages

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error a client can act on; services raise these, handlers render them."""

    status = 400
    code = "bad_request"
    # The message to show when it must say more than the code's own (same code for clients).
    message_code: str | None = None

    def __init__(self, code: str | None = None, *, status: int | None = None,
                 details: dict | None = None, params: dict | None = None,
                 headers: dict | None = None):
        super().__init__(code or self.code)
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}
        self.params = params or {}
        self.headers = headers or {}


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class Unprocessable(ApiError):
    status, code = 422, "validation_error"


def field_error(code: str, field: str, params: dict | None = None) -> Unprocessable:
    """A 422 with its code and, under the field it is about, the same message for the form."""
    return Unprocessable(code, params=params,
                         details={field: [message_for(code, params)]})


class RateLimited(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, retry_after_s: int, code: str | None = None):
        super().__init__(code, details={"retry_after_s": retry_after_s},
                         headers={"Retry-After": str(max(1, int(retry_after_s)))})


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"


def error_body(code: str, details: dict | None = None, params: dict | None = None,
               message_code: str | None = None) -> dict:
    return {"error": {"code": code, "message": message_for(message_code or code, params),
                      "details": translate_field_messages(details or {})}}


def error_response(status: int, code: str, details=None, params=None, headers=None,
                   message_code=None):
    response = jsonify(error_body(code, details, params, message_code))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ErrorSchema(ma.Schema):
    """The error envelope, for the OpenAPI document."""

    class ErrorBody(ma.Schema):
        code = ma.fields.String(metadata={"description": "stable machine code"})
        message = ma.fields.String(metadata={"description": "human message (zh, or en)"})
        details = ma.fields.Dict(metadata={"description": "field -> messages, or context"})

    error = ma.fields.Nested(ErrorBody)


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    422: "validation_error", 429: "rate_limited", 503: "service_unavailable",
}


def _validation_details(data: dict) -> dict:
    """webargs nests messages under their location ({"json": {...}}); clients want fields."""
    messages = data.get("messages") or data.get("errors") or {}
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location if location not in ("json", "query") else "_body"] = fields
    return flat


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status in (400, 422) and ("messages" in data or "errors" in data):
        details = _validation_details(data)
        if status == 400:
            return error_response(400, "invalid_json", details)
        return error_response(422, "validation_error", details)
    # Keep werkzeug's meaningful headers (Allow on 405, Retry-After), not its HTML content type.
    headers = {name: value for name, value in error.get_headers()
               if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return error_response(status, _HTTP_CODES.get(status, "bad_request"), headers=headers)


def handle_api_error(error: ApiError):
    from app.extensions import db

    # Most errors undo the request; a few record a consequence (a revoked token family).
    if getattr(error, "keep_changes", False):
        db.session.commit()
    else:
        db.session.rollback()
    return error_response(error.status, error.code, error.details, error.params, error.headers,
                          error.message_code)


def handle_database_unavailable(error: Exception):
    from app.extensions import db

    log.warning("database unavailable: %s", error.__class__.__name__)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already gone
        db.session.remove()
    return error_response(503, "service_unavailable", headers={"Retry-After": "1"})


def handle_unexpected(error: Exception):
    from app.extensions import db

    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error")
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - still answer in our shape
        db.session.remove()
    return error_response(500, "internal_error")


# SQLSTATEs of a value its column cannot hold: string too long, number out of range, NUL.
UNSTORABLE_SQLSTATES = {"22001", "22003", "22021"}


def is_unstorable_value(error: Exception) -> bool:
    """A client's value no column can hold, as opposed to a fault in our own SQL."""
    orig = getattr(error, "orig", None)
    # SQLite: a Python int past 64 bits; any engine: an instant outside years 1-9999 in UTC.
    if isinstance(error, OverflowError) or isinstance(orig, OverflowError):
        return True
    if getattr(orig, "sqlstate", None) in UNSTORABLE_SQLSTATES:
        return True
    return "NUL (0x00)" in str(orig)  # psycopg refuses it before sending


def handle_data_error(error: Exception):
    if not is_unstorable_value(error):
        return handle_unexpected(error)
    from app.extensions import db

    log.info("value refused by the database: %s", error.__class__.__name__)
    db.session.rollback()
    return error_response(422, "validation_error",
                          {"_body": [message_for("value_not_storable")]})


def handle_recursion_error(error: RecursionError):
    """JSON nested past what the parser will follow is a malformed body, not a server fault."""
    frames = traceback.extract_tb(error.__traceback__)
    if any(frame.filename.replace("\\", "/").endswith("json/decoder.py") for frame in frames):
        return error_response(400, "invalid_json", {"_body": ["Invalid JSON body."]})
    return handle_unexpected(error)


def is_connection_error(error: OperationalError) -> bool:
    """A lost or refused connection, as opposed to a lock or a constraint."""
    if error.connection_invalidated:
        return True
    text = str(error.orig).lower() if error.orig else str(error).lower()
    return any(s in text for s in ("connection", "server closed", "could not connect",
                                   "terminating", "the database system is"))


def handle_operational_error(error: OperationalError):
    if is_connection_error(error):
        return handle_database_unavailable(error)
    return handle_unexpected(error)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(StatementError, handle_data_error)  # a value failed to bind
    app.register_error_handler(OverflowError, handle_data_error)
    app.register_error_handler(RecursionError, handle_recursion_error)
    app.register_error_handler(Exception, handle_unexpected)
