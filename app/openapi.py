"""The smorest Api with our error shape, and the error responses every route can give."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import flask_smorest
import orjson
from flask import Response, current_app

from app.errors import ErrorSchema
from app.json_body import StrictFlaskParser

ERROR_REF = {"$ref": "#/components/schemas/Error"}
COMMON_ERRORS = {
    "400": "请求格式错误 (malformed request)",
    "401": "未登录或凭证无效 (missing or invalid token)",
    "403": "没有权限 (not allowed)",
    "404": "不存在或属于其他单位 (not found)",
    "413": "请求体超过 64 KiB (body too large)",
    "422": "数据不符合要求 (invalid values)",
    "429": "请求过于频繁 (rate limited)",
    "500": "服务器错误 (internal error)",
    "503": "依赖不可用 (database unavailable)",
}


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: bodies parsed by app.json_body (malformed -> 400 invalid_json)."""

    ARGUMENTS_PARSER = StrictFlaskParser()

    def arguments(self, schema, *args, **kwargs):
        """As smorest's, with a schema class made an instance once, here: given a class,
        webargs builds a new instance (deep copies of every field) on every request."""
        return super().arguments(schema() if isinstance(schema, type) else schema,
                                 *args, **kwargs)


def documented_json(payload: dict, status: int = 200) -> Response:
    """`payload`, already in the shape its route documents (`blp.response(..., Schema)`),
    sent without the schema walk: Decimals as JSON numbers and instants as ISO 8601 text,
    as marshmallow's Float and DateTime fields dump them. For answers whose walk costs as
    much as building them (a board, an institution report); each such route has a test
    holding its answer to its schema's dump, byte for byte. Written by orjson, with the
    app's own JSON conventions (sorted keys, compact, UTF-8 text): about a tenth of the
    standard library's time for an institution report."""
    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_APPEND_NEWLINE
    if current_app.json.sort_keys:
        options |= orjson.OPT_SORT_KEYS
    body = orjson.dumps(payload, default=_documented_value, option=options)
    return current_app.response_class(body, status=status, mimetype="application/json")


def _documented_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Our own handlers (app.errors) answer every error in the API.md shape."""


def document_error_responses(api: Api) -> None:
    """Add the shared error responses to every operation of the generated document."""
    for path, operations in api.spec._paths.items():  # noqa: SLF001 - apispec has no public hook
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            responses = operation.setdefault("responses", {})
            public = operation.get("security") == [{}]
            for status, description in COMMON_ERRORS.items():
                if public and status in ("401", "403"):
                    continue
                if status == "404" and "{" not in path and method != "get":
                    continue
                responses.setdefault(status, {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_REF}},
                })


def document_optional_bodies(api: Api) -> None:
    """A body whose schema requires no field may be left out: the app reads none as `{}`."""
    schemas = api.spec.components.schemas
    for operations in api.spec._paths.values():  # noqa: SLF001 - apispec has no public hook
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            body = operation.get("requestBody") or {}
            for content in body.get("content", {}).values():
                name = content.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
                if name in schemas and not schemas[name].get("required"):
                    body["required"] = False
