"""Request and response schemas of points, rewards and redemptions."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from app.i18n import FieldMessage
from app.pagination import PageQuery
from app.schemas import Schema, aware_datetime, name_field, page_of
from points.models import LEDGER_KINDS, REDEMPTION_STATUSES

MAX_POINTS = 1_000_000
MAX_STOCK = 1_000_000


def reason_field() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=200))


def nonzero_points(max_abs: int) -> list:
    return [validate.Range(min=-max_abs, max=max_abs),
            validate.NoneOf([0], error=FieldMessage("must_not_be_zero"))]


# --- ledger -----------------------------------------------------------------------

class LedgerEntryOut(Schema):
    id = fields.Integer()
    delta = fields.Integer()
    kind = fields.String(metadata={"enum": list(LEDGER_KINDS)})
    ref = fields.String(metadata={"description": "what caused it, e.g. `activity:123`"})
    reason = fields.String(allow_none=True)
    balance_after = fields.Integer()
    created_at = fields.DateTime()


class ExpiringOut(Schema):
    points = fields.Integer()
    on = fields.Date(metadata={"description": "the organisation-local day they expire "
                                              "(they can be spent until the day before)"})


class PointsOut(Schema):
    balance = fields.Integer()
    earned_total = fields.Integer(metadata={"description": "lifetime earnings; never lowered "
                                                           "by spending"})
    items = fields.List(fields.Nested(LedgerEntryOut))
    next_cursor = fields.String(allow_none=True)
    expiring = fields.List(fields.Nested(ExpiringOut), metadata={
        "description": "points that will expire, soonest first (empty: none expire)"})


class AdjustmentIn(Schema):
    user_id = fields.Integer(required=True)
    delta = fields.Integer(required=True, strict=True, validate=nonzero_points(MAX_POINTS))
    reason = reason_field()


class AdjustmentOut(LedgerEntryOut):
    user_id = fields.Integer()
    actor_id = fields.Integer(allow_none=True)


# --- rewards ------------------------------------------------------------------------

class _RewardFields(Schema):
    name = name_field(required=False)
    description = fields.String(validate=validate.Length(max=1000))
    cost_points = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_POINTS))
    per_user_limit = fields.Integer(allow_none=True, strict=True,
                                    validate=validate.Range(min=1, max=10_000))
    available_from = aware_datetime(allow_none=True)
    available_until = aware_datetime(allow_none=True)
    # "uri" is the JSON Schema format; marshmallow's Url would be documented as "url".
    image_url = fields.Url(allow_none=True, schemes={"http", "https"},
                           validate=validate.Length(max=500), metadata={"format": "uri"})

    @ma.validates_schema
    def window_is_ordered(self, data, **_kwargs):
        start, end = data.get("available_from"), data.get("available_until")
        if start and end and start >= end:
            raise ma.ValidationError(FieldMessage("after_available_from"),
                                     "available_until")


class RewardIn(_RewardFields):
    org_id = fields.Integer(load_default=None, metadata={
        "description": "the admin's own organisation by default; required for a superadmin"})
    name = name_field()
    description = fields.String(load_default="", validate=validate.Length(max=1000))
    cost_points = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=1, max=MAX_POINTS))
    stock = fields.Integer(load_default=0, strict=True,
                           validate=validate.Range(min=0, max=MAX_STOCK))


class RewardPatch(_RewardFields):
    """Stock is not edited here: it moves through `POST /rewards/{id}/stock` with a reason."""


class RewardOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    name = fields.String()
    description = fields.String()
    cost_points = fields.Integer()
    stock_remaining = fields.Integer()
    per_user_limit = fields.Integer(allow_none=True)
    available_from = fields.DateTime(allow_none=True)
    available_until = fields.DateTime(allow_none=True)
    image_url = fields.String(allow_none=True)
    archived = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


RewardPage = page_of(RewardOut)


class RewardQuery(PageQuery):
    org_id = fields.Integer(metadata={"description": "superadmin: whose catalogue"})


class OrgRewardQuery(PageQuery):
    archived = fields.Boolean(metadata={"description": "only archived (true) or only "
                                                       "current (false) rewards"})


class StockIn(Schema):
    delta = fields.Integer(required=True, strict=True, validate=nonzero_points(MAX_STOCK))
    reason = reason_field()


# --- redemptions ------------------------------------------------------------------------

class RedemptionOut(Schema):
    id = fields.Integer()
    reward_id = fields.Integer()
    reward_name = fields.String()
    cost_points = fields.Integer()
    status = fields.String(metadata={"enum": list(REDEMPTION_STATUSES)})
    pickup_code = fields.String()
    created_at = fields.DateTime()
    fulfilled_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


class RedemptionAdminOut(Schema):
    """The counter's view: who and what, but not the pickup code (the person brings it)."""

    id = fields.Integer()
    user_id = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    reward_id = fields.Integer()
    reward_name = fields.String()
    cost_points = fields.Integer()
    status = fields.String(metadata={"enum": list(REDEMPTION_STATUSES)})
    created_at = fields.DateTime()
    fulfilled_at = fields.DateTime(allow_none=True)
    fulfilled_by = fields.Integer(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancelled_by = fields.Integer(allow_none=True)
    failed_pickup_attempts = fields.Integer(metadata={
        "description": "wrong pickup codes typed; at 5 the redemption is locked"})
    locked = fields.Boolean(metadata={
        "description": "too many wrong codes: only an admin's override fulfils it"})


RedemptionPage = page_of(RedemptionOut)
RedemptionAdminPage = page_of(RedemptionAdminOut)


class RedeemOut(Schema):
    redemption = fields.Nested(RedemptionOut)
    balance = fields.Integer(metadata={"description": "points left after paying"})


# Dumped by hand (the answer is stored for replays before it is sent): one instance, reused.
REDEEM_OUT = RedeemOut()


class RedemptionQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(REDEMPTION_STATUSES))


class OrgRedemptionQuery(RedemptionQuery):
    user_id = fields.Integer()
    pickup_code = fields.String(validate=validate.Length(min=1, max=16),
                                metadata={"description": "find the claim a person shows"})


class FulfilIn(Schema):
    pickup_code = fields.String(validate=validate.Length(min=1, max=16), metadata={
        "description": "required unless override"})
    override = fields.Boolean(load_default=False, metadata={
        "description": "fulfil a redemption locked by wrong codes, without its code (audited)"})
    reason = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "required with override"})

    @validates_schema
    def code_or_override(self, data, **_kwargs):
        if data["override"] and not (data.get("reason") or "").strip():
            raise ma.ValidationError({"reason": [FieldMessage("override_needs_reason")]})
        if not data["override"] and not data.get("pickup_code"):
            raise ma.ValidationError({"pickup_code": [FieldMessage("pickup_code_required")]})


# --- OpenAPI notes for what no schema expresses ---------------------------------------------

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 128


def error_responses(**described: str) -> dict:
    """`@blp.doc` fragment: extra error statuses with the shared error schema."""
    return {"responses": {status.removeprefix("s"): {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    } for status, text in described.items()}}


REDEEM_DOC = {
    "parameters": [{
        "in": "header", "name": IDEMPOTENCY_KEY_HEADER, "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY},
        "description": "the phone's retry key: the same key answers the first outcome again "
                       "(400 idempotency_key_missing without it)",
    }],
    **error_responses(
        s409="insufficient_points, out_of_stock, limit_reached, reward_unavailable; "
             "request_in_progress (the same key is still running)",
        s422="idempotency_key_reused (the key was used for another reward)"),
}


# --- points policy --------------------------------------------------------------------

MAX_GRAMS_PER_POINT = 1_000_000
MAX_YUAN = Decimal("1000000000")


class Yuan(fields.Float):
    """Money in yuan: a JSON number in (a string or a boolean is refused), a Decimal inside
    (never a float), at most `places` decimals; out as a JSON number."""

    def __init__(self, places: int, **kwargs):
        super().__init__(**kwargs)
        self.places = places

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ma.ValidationError(FieldMessage("must_be_number"))
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ma.ValidationError(FieldMessage("must_be_number")) from None
        if not amount.is_finite() or not 0 < amount <= MAX_YUAN:
            raise ma.ValidationError(FieldMessage("yuan_range", max=MAX_YUAN))
        if amount.normalize().as_tuple().exponent < -self.places:
            raise ma.ValidationError(FieldMessage("at_most_decimals", places=self.places))
        return amount

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return int(value) if value == value.to_integral_value() else float(value)


class PointsPolicyPatch(Schema):
    grams_per_point = fields.Integer(strict=True, validate=validate.Range(
        min=1, max=MAX_GRAMS_PER_POINT), metadata={"description": "grams saved per point, > 0"})
    monthly_earn_cap = fields.Integer(strict=True, allow_none=True, validate=validate.Range(
        min=0, max=MAX_POINTS), metadata={"description": "points a month from behaviours; "
                                                         "null: no cap"})
    expiry_months = fields.Integer(strict=True, allow_none=True, validate=validate.Range(
        min=1, max=120), metadata={"description": "1..120; null: points never expire"})
    point_value_yuan = Yuan(4, metadata={"description": "yuan per point, > 0, 4 decimals"})
    annual_budget_yuan = Yuan(2, allow_none=True, metadata={
        "description": "yuan a year for rewards, > 0; null: none"})


class PointsPolicyOut(Schema):
    grams_per_point = fields.Integer()
    monthly_earn_cap = fields.Integer(allow_none=True)
    expiry_months = fields.Integer(allow_none=True)
    point_value_yuan = Yuan(4)
    annual_budget_yuan = Yuan(2, allow_none=True)
