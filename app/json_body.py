"""Request bodies parsed strictly: what Python's json module takes but no column or encoder can
hold is a malformed body (400 `invalid_json`), never a server error; a body past the limit
is 413 however it was sent.

- An integer past Python's 4,300-digit conversion limit raises a plain ValueError in
  `json.loads`, which webargs does not catch.
- A lone surrogate escape (`"\\ud800"`) decodes to a str that cannot be encoded as UTF-8,
  so it fails only when the database or the response encoder meets it.
"""

from __future__ import annotations

import json
import re
import typing

import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge

from app.i18n import FieldMessage

# A \u escape in the high or low surrogate range; only then is the parsed body walked.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def loads_strict(raw: bytes | str) -> typing.Any:
    """`json.loads`, with every refusal a `json.JSONDecodeError` (webargs answers 400)."""
    text = raw if isinstance(raw, str) else None
    if text is None:
        return loads_strict(_decode(raw))
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # e.g. "Exceeds the limit (4300 digits) for integer string"
        raise json.JSONDecodeError(str(exc), text, 0) from None
    if SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise json.JSONDecodeError("lone UTF-16 surrogate in a string", text, 0)
    return value


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(f"Bytes decoding error : {exc.reason}", str(exc.object),
                                   exc.start) from exc


def request_body(req) -> bytes:
    """The body, 413 past MAX_CONTENT_LENGTH even when chunked: werkzeug stops reading a
    chunked body at the limit and hands back the cut-off part (which then reads as bad JSON)."""
    data = req.get_data(cache=True)
    limit = req.max_content_length
    if limit is not None and req.content_length is None and len(data) >= limit:
        raise RequestEntityTooLarge()
    return data


class StrictFlaskParser(FlaskParser):
    def _raw_load_json(self, req) -> typing.Any:
        if not is_json_request(req):
            return core.missing
        return loads_strict(request_body(req))




class AsciiNumbers(ma.Schema):
    """Number fields take text only in ASCII: `int("１２")` and `Decimal("١٢")` read other
    scripts' digits, so a quantity typed in fullwidth or Arabic-Indic digits would count."""

    @ma.pre_load
    def ascii_numbers_only(self, data, **_kwargs):
        if not hasattr(data, "get"):
            return data
        bad = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            value = data.get(key)
            if (isinstance(field, ma.fields.Number) and isinstance(value, str)
                    and not value.isascii()):
                bad[key] = [FieldMessage("ascii_digits_only")]
        if bad:
            raise ma.ValidationError(bad)
        return data
