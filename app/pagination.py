"""Keyset pagination: `?limit=&cursor=` -> `{items, next_cursor}` (API.md conventions)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

import marshmallow as ma
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from app.db import year_supported
from app.errors import Unprocessable
from app.i18n import FieldMessage
from app.json_body import AsciiNumbers

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageQuery(AsciiNumbers):
    """`limit` (default 20, capped at 100) and an opaque `cursor`."""

    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT,
                              validate=ma.validate.Range(min=1, error=FieldMessage("at_least_one")))
    cursor = ma.fields.String(load_default=None)

    @ma.post_load
    def cap_limit(self, data, **_kwargs):
        data["limit"] = min(data["limit"], MAX_LIMIT)
        return data


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable(details={"cursor": [FieldMessage("invalid_cursor")]}) from exc
    if (not isinstance(values, list) or not values
            or any(v is None or isinstance(v, bool) for v in values)):
        raise Unprocessable(details={"cursor": [FieldMessage("invalid_cursor")]})
    return values


@dataclass
class Page:
    items: list
    next_cursor: str | None


def paginate_newest_first(session: Session, stmt: Select, id_column, limit: int,
                          cursor: str | None) -> Page:
    """Page over rows in descending id order (newest first)."""
    if cursor:
        (last_id,) = decode_cursor(cursor)[:1]
        if not isinstance(last_id, int):
            raise Unprocessable(details={"cursor": [FieldMessage("invalid_cursor")]})
        stmt = stmt.where(id_column < last_id)
    rows = list(session.scalars(stmt.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor([rows[-1].id]) if more and rows else None)


def paginate_by_keys(session: Session, stmt: Select, key_columns: list, limit: int,
                     cursor: str | None, key_of) -> Page:
    """Page in descending order of a composite key (e.g. occurred_at, id)."""
    if cursor:
        values = decode_cursor(cursor)
        if len(values) != len(key_columns):
            raise Unprocessable(details={"cursor": [FieldMessage("invalid_cursor")]})
        stmt = stmt.where(tuple_(*key_columns) < tuple_(*_typed_keys(key_columns, values),
                                                        types=[c.type for c in key_columns]))
    rows = list(session.scalars(stmt.order_by(*[c.desc() for c in key_columns]).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(key_of(rows[-1])) if more and rows else None)


def _typed_keys(key_columns: list, values: list) -> list:
    """Cursor values as their columns' types: JSON carries a datetime as ISO text, and an
    untyped text bind compares as text (SQLite stores datetimes in another format)."""
    typed = []
    for column, value in zip(key_columns, values, strict=True):
        sa_type = column.type
        if isinstance(sa_type, TypeDecorator):
            sa_type = sa_type.impl_instance
        try:
            expected = sa_type.python_type
        except NotImplementedError:
            expected = None
        if expected is datetime and isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                value = None
            if value is not None and (value.tzinfo is None or not year_supported(value)):
                value = None
        if expected is not None and not isinstance(value, expected) or isinstance(value, bool):
            raise Unprocessable(details={"cursor": [FieldMessage("invalid_cursor")]})
        typed.append(value)
    return typed
