"""Request and response schemas of identity and organisations (`ThingIn`, `ThingOut`)."""

from __future__ import annotations

import unicodedata

import marshmallow as ma
from marshmallow import fields, validate

from app.calendar import DEFAULT_TIMEZONE, is_known_zone, org_zone
from app.db import OUT_OF_RANGE_MESSAGE, year_supported
from app.i18n import FieldMessage
from app.json_body import AsciiNumbers
from app.models import REGIONS, ROLES, SECTORS
from app.pagination import PageQuery

SHANGHAI = org_zone(DEFAULT_TIMEZONE)


class Schema(AsciiNumbers):
    """Unknown fields are rejected: a client can never set what it was not offered."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def reject_nul_characters(self, data, **_kwargs):
        """A NUL in a string is never meant, and PostgreSQL text cannot hold it."""
        if isinstance(data, dict):
            bad = [k for k, v in data.items() if isinstance(v, str) and "\x00" in v]
            if bad:
                raise ma.ValidationError({k: [FieldMessage("no_nul_characters")] for k in bad})
        return data


class SupportedDateTime(fields.AwareDateTime):
    """An ISO 8601 time in the years the service takes (app.db.year_supported)."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not year_supported(moment):
            raise ma.ValidationError(OUT_OF_RANGE_MESSAGE)
        return moment


def aware_datetime(**kwargs) -> fields.AwareDateTime:
    # A phone that sends no offset means its local (Beijing) time.
    return SupportedDateTime(format="iso", default_timezone=SHANGHAI, **kwargs)


# Categories no name shows: control (Cc), format (Cf: bidi overrides, zero-width), surrogate,
# private use, line and paragraph separators.
REFUSED_IN_NAMES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Letters that print as nothing (Hangul fillers, the blank Braille pattern).
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(char: str) -> bool:
    return not (char.isspace() or char in INVISIBLE_LETTERS
                or unicodedata.category(char) in ("Mn", "Me"))


class Name(fields.String):
    """A name people read on boards and lists: NFKC-normalised and trimmed; control, format
    and line-break characters and blank or invisible-only names are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        if any(unicodedata.category(char) in REFUSED_IN_NAMES for char in text):
            raise ma.ValidationError(FieldMessage("no_control_characters"))
        text = text.strip()
        if not any(_visible(char) for char in text):
            raise ma.ValidationError(FieldMessage("not_blank"))
        return text


def name_field(required: bool = True, max_length: int = 100) -> fields.String:
    return Name(required=required, validate=validate.Length(min=1, max=max_length))


def validate_timezone(value: str) -> None:
    if not is_known_zone(value):
        raise ma.ValidationError(FieldMessage("unknown_timezone"))


# --- users and tokens -------------------------------------------------------------

class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    org_id = fields.Integer(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    role = fields.String()
    employee_no = fields.String(allow_none=True)
    show_on_leaderboard = fields.Boolean()
    enrolled = fields.Boolean()


class AdminUserOut(UserOut):
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class TokenOut(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "access token lifetime, seconds"})
    user = fields.Nested(UserOut)
    enrolled = fields.Boolean()


class LoginIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class WeChatLoginIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=256))


class RefreshIn(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=256))


class LogoutIn(Schema):
    refresh_token = fields.String(load_default=None, validate=validate.Length(max=256))


def password_field(**kwargs) -> fields.String:
    # Length and strength by the account's role: app/passwords.py (422 password_too_short...).
    return fields.String(validate=validate.Length(max=256), **kwargs)


class PasswordChangeIn(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new_password = password_field(required=True)


class EnrolIn(Schema):
    invite_code = fields.String(required=True, validate=validate.Length(min=4, max=32))
    display_name = name_field()
    employee_no = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=64))


class ProfilePatch(Schema):
    display_name = name_field(required=False)
    team_id = fields.Integer(allow_none=True)
    show_on_leaderboard = fields.Boolean()


# --- organisations ----------------------------------------------------------------

EVENT_APPROVAL_RANGE = validate.Range(min=0, max=200)
EVENT_APPROVAL_NOTE = ("an open day worth more points than this needs an admin's approval "
                       "before anyone checks in (default 50)")


class OrganisationIn(Schema):
    name = name_field(max_length=200)
    region = fields.String(required=True, validate=validate.OneOf(REGIONS))
    sector = fields.String(required=True, validate=validate.OneOf(SECTORS))
    headcount = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    floor_area_m2 = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10**9))
    timezone = fields.String(load_default=DEFAULT_TIMEZONE, validate=validate_timezone)
    event_approval_points = fields.Integer(load_default=50, validate=EVENT_APPROVAL_RANGE,
                                           metadata={"description": EVENT_APPROVAL_NOTE})


class OrganisationPatch(Schema):
    name = name_field(required=False, max_length=200)
    region = fields.String(validate=validate.OneOf(REGIONS))
    sector = fields.String(validate=validate.OneOf(SECTORS))
    headcount = fields.Integer(validate=validate.Range(min=1, max=1_000_000))
    floor_area_m2 = fields.Integer(validate=validate.Range(min=0, max=10**9))
    timezone = fields.String(validate=validate_timezone)
    event_approval_points = fields.Integer(validate=EVENT_APPROVAL_RANGE,
                                           metadata={"description": EVENT_APPROVAL_NOTE})


class OrganisationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    region = fields.String()
    sector = fields.String()
    headcount = fields.Integer()
    floor_area_m2 = fields.Integer()
    timezone = fields.String()
    event_approval_points = fields.Integer(metadata={"description": EVENT_APPROVAL_NOTE})
    created_at = fields.DateTime()


class TeamIn(Schema):
    name = name_field()


class TeamOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    name = fields.String()
    members = fields.Integer()
    created_at = fields.DateTime()


class UserIn(Schema):
    username = fields.String(required=True, validate=[
        validate.Length(min=3, max=64),
        validate.Regexp(r"^[A-Za-z0-9_.\-]+$",
                        error=FieldMessage("username_characters")),
    ])
    password = password_field(load_default=None)
    display_name = name_field()
    team_id = fields.Integer(load_default=None, allow_none=True)
    role = fields.String(load_default="staff", validate=validate.OneOf(ROLES))
    employee_no = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=64))


class UserPatch(Schema):
    display_name = name_field(required=False)
    team_id = fields.Integer(allow_none=True)
    role = fields.String(validate=validate.OneOf(ROLES))
    employee_no = fields.String(allow_none=True, validate=validate.Length(max=64))
    show_on_leaderboard = fields.Boolean()
    is_active = fields.Boolean()
    password = password_field()


class InviteIn(Schema):
    team_id = fields.Integer(load_default=None, allow_none=True)
    role = fields.String(load_default="staff", validate=validate.OneOf(ROLES))
    max_uses = fields.Integer(required=True, validate=validate.Range(min=1, max=100_000))
    expires_at = aware_datetime(required=True)


class InviteOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    role = fields.String()
    code = fields.String()
    max_uses = fields.Integer()
    uses = fields.Integer()
    expires_at = fields.DateTime()
    created_at = fields.DateTime()


class AuditOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String(allow_none=True)
    changes = fields.Dict()
    ip = fields.String(allow_none=True)
    created_at = fields.DateTime()


_pages: dict[type, type] = {}


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """`{items, next_cursor}` around an item schema (one class per item schema)."""
    if item_schema not in _pages:
        _pages[item_schema] = type(f"{item_schema.__name__.removesuffix('Out')}Page", (Schema,), {
            "items": fields.List(fields.Nested(item_schema)),
            "next_cursor": fields.String(allow_none=True),
        })
    return _pages[item_schema]


class UserListQuery(PageQuery):
    team_id = fields.Integer()
    role = fields.String(validate=validate.OneOf(ROLES))

