"""Request and response schemas of behaviours, carbon and activities.

Carbon leaves as kilograms (`*_kg`), a JSON number with at most 3 decimals, from
integer grams. Per-unit figures (`co2e_saved_per_unit_kg`) keep 6 decimals (whole
milligrams): at 3 decimals a sheet of paper (4.59 g) would read as 0.005 kg.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

import marshmallow as ma
from marshmallow import fields, validate

from activities.logbook import ActivityEntry, InvalidEntry
from activities.models import REVIEW_STATUSES, STATUSES
from app.db import OUT_OF_RANGE_MESSAGE, year_supported
from app.figures import kg, per_unit_kg
from app.i18n import FieldMessage, message_for, preferred_language, translate_field_messages
from app.pagination import PageQuery
from app.schemas import SHANGHAI, Schema, aware_datetime, page_of

MAX_BATCH = 100


class Kilograms(fields.Float):
    """Integer grams out as kilograms, a JSON number with at most 3 decimals."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return float(kg(value))


class PerUnitKilograms(fields.Float):
    """Decimal grams per unit out as kilograms rounded to 6 decimals (a JSON number)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return float(per_unit_kg(value))


class Number(fields.Float):
    """A Decimal out as a JSON number: an integer when whole, else a float."""

    def __init__(self, places: Decimal | None = None, **kwargs):
        super().__init__(**kwargs)
        self.places = places

    def _serialize(self, value, attr, obj, **kwargs):
        return number_out(value, self.places)


def number_out(value, places: Decimal | None = None) -> int | float | None:
    """A Decimal as `Number` dumps it: an integer when whole, else a float."""
    if value is None:
        return None
    number = Decimal(value)
    if places is not None:
        number = number.quantize(places, rounding=ROUND_DOWN)
    return int(number) if number == number.to_integral_value() else float(number)


# --- requests -------------------------------------------------------------------------------

class ActivityIn(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "behaviour key, see GET /activity-types"})
    quantity = fields.Decimal(required=True, allow_nan=False,
                              metadata={"description": "in the behaviour's unit, "
                                        "> 0, <= max_per_entry, at most 3 decimals"})
    occurred_at = aware_datetime(load_default=None, allow_none=True, metadata={
        "description": "default now; no offset means Beijing time"})
    client_id = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=64),
                              metadata={"description": "the phone's retry key, unique per user"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @ma.post_load
    def to_entry(self, data, **_kwargs) -> ActivityEntry:
        return ActivityEntry(**data)


class BatchItem(fields.Nested):
    """One batch item, parsed alone: an invalid item is rejected, not the whole batch."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        try:
            return super()._deserialize(value, attr, data, partial=partial, **kwargs)
        except ma.ValidationError as error:
            client_id = value.get("client_id") if isinstance(value, dict) else None
            messages = error.messages if isinstance(error.messages, dict) else {
                "_item": error.messages}
            return InvalidEntry(client_id if isinstance(client_id, str) else None, messages)


class BatchIn(Schema):
    items = fields.List(BatchItem(ActivityIn), required=True, validate=validate.Length(
        min=1, max=MAX_BATCH, error=FieldMessage("batch_size", max=MAX_BATCH)))


class EstimateIn(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Decimal(required=True, allow_nan=False)


class DateOrDateTime(fields.String):
    """`2026-11-24` (a whole local day) or an ISO 8601 time (no offset: Beijing time)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ma.ValidationError(FieldMessage("not_a_date_or_time"))
        text = value.strip().replace(" ", "+")  # an unescaped '+' in a query string
        try:
            moment = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ma.ValidationError(FieldMessage("not_a_date_or_time")) from None
        if not year_supported(moment):
            raise ma.ValidationError(OUT_OF_RANGE_MESSAGE)
        if type(moment) is date or moment.tzinfo:
            return moment
        return moment.replace(tzinfo=SHANGHAI)


class ActivityQuery(PageQuery):
    from_ = DateOrDateTime(data_key="from", metadata={"description": "date or time, inclusive"})
    to = DateOrDateTime(metadata={"description": "date (whole day) or time, inclusive"})
    type = fields.String(validate=validate.Length(min=1, max=64))
    status = fields.String(validate=validate.OneOf(STATUSES))

    @ma.post_load
    def rename_from(self, data, **_kwargs):
        if "from_" in data:
            data["from"] = data.pop("from_")
        return data


# --- responses ------------------------------------------------------------------------------

class ActivityOut(Schema):
    id = fields.Integer()
    type = fields.String()
    quantity = Number()
    credited_quantity = Number(metadata={"description": "the part within the daily cap"})
    occurred_at = fields.DateTime()
    local_date = fields.Date(metadata={"description": "the organisation-local day"})
    co2e_saved_kg = Kilograms(attribute="co2e_saved_g")
    points = fields.Integer()
    status = fields.String(metadata={"description": "accepted | voided"})
    capped = fields.Boolean()
    points_capped = fields.Boolean(metadata={
        "description": "the organisation's monthly earn cap left it fewer points"})
    grams_per_point = fields.Integer(allow_none=True, metadata={
        "description": "the organisation's rate when it was logged"})
    campaign_id = fields.Integer(allow_none=True)
    multiplier = Number()
    factor_version = fields.String()
    co2e_saved_per_unit_kg = PerUnitKilograms(attribute="per_unit_saved_g")
    client_id = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)


class FactorOut(Schema):
    key = fields.String()
    value = Number()
    unit = fields.String()
    data_year = fields.Integer(allow_none=True)
    source = fields.String()
    confidence = fields.String()


class ActivityTypeOut(Schema):
    key = fields.String()
    category = fields.String(metadata={"description": "commute | business_travel | office | "
                                                      "canteen"})
    name = fields.Method("_name", metadata={"type": "string", "description": "name_zh or "
                                                           "name_en by Accept-Language"})
    name_zh = fields.String()
    name_en = fields.String()
    unit = fields.String(metadata={"description": "unit key (km, sheet, hour...)"})
    unit_name = fields.Method("_unit_name", metadata={"type": "string"})
    unit_zh = fields.String()
    unit_en = fields.String()
    co2e_saved_per_unit_kg = PerUnitKilograms(
        attribute="co2e_saved_per_unit_g",
        metadata={"description": "kg per unit in the caller's region, 6 decimals"})
    per_entry_deduction_kg = PerUnitKilograms(attribute="per_entry_deduction_g")
    points_per_unit = Number(places=Decimal("0.001"), metadata={
        "description": "points per unit before rounding (1 point per 10 g of the day's grams "
                       "of the behaviour)"})
    min_points_per_entry = fields.Integer(metadata={
        "description": "0: a later entry of the day may earn nothing (first_entry_min_points)"})
    first_entry_min_points = fields.Integer(metadata={
        "description": "the day's first entry of the behaviour earns at least this"})
    max_per_entry = Number()
    daily_cap = Number()
    factor_version = fields.String()
    grid_factor = fields.String(allow_none=True)
    no_source = fields.Boolean(metadata={"description": "no sourced factor: participation "
                                                        "points only, 0 g"})
    limits_note = fields.String()
    note = fields.String()
    sources = fields.List(fields.Nested(FactorOut))

    def _name(self, obj):
        return obj["name_en"] if preferred_language() == "en" else obj["name_zh"]

    def _unit_name(self, obj):
        return obj["unit_en"] if preferred_language() == "en" else obj["unit_zh"]


class ActivityTypeList(Schema):
    items = fields.List(fields.Nested(ActivityTypeOut))


class BreakdownOut(Schema):
    baseline_kg = Kilograms(attribute="baseline_g")
    actual_kg = Kilograms(attribute="actual_g", metadata={
        "description": "project emissions, including any per-entry deduction"})
    per_unit_saved_kg = PerUnitKilograms(attribute="per_unit_saved_g")
    per_entry_deduction_kg = PerUnitKilograms(attribute="per_entry_deduction_g")
    factors = fields.List(fields.Nested(FactorOut))


class EstimateOut(Schema):
    type = fields.String()
    quantity = Number()
    credited_quantity = Number(metadata={"description": "the part within today's daily cap"})
    capped = fields.Boolean()
    first_of_day = fields.Boolean(metadata={
        "description": "it would be the caller's first entry of the behaviour today"})
    co2e_saved_kg = Kilograms(attribute="co2e_saved_g")
    points = fields.Integer(metadata={"description": "what logging it now would earn"})
    multiplier = Number()
    campaign_id = fields.Integer(allow_none=True)
    factor_version = fields.String()
    region = fields.String()
    breakdown = fields.Nested(BreakdownOut)


class ErrorInItemOut(Schema):
    """A rejected item's error, in the API's error shape."""

    code = fields.String()
    message = fields.Method("_message", metadata={"type": "string"})
    details = fields.Method("_details", metadata={"type": "object"})

    def _message(self, error):
        return message_for(error.message_code or error.code, error.params)

    def _details(self, error):
        return translate_field_messages(error.details)


class BatchResultOut(Schema):
    client_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "created | duplicate | rejected"})
    activity = fields.Nested(ActivityOut, allow_none=True)
    error = fields.Nested(ErrorInItemOut, allow_none=True)


class BatchOut(Schema):
    results = fields.List(fields.Nested(BatchResultOut))


def batch_answer(results) -> dict:
    """`BatchOut`'s dump of a batch's results, built directly: marshmallow's walk over up to
    100 activities cost more than the rest of the answer. Sent with `documented_json`
    (instants as ISO text) and held to `BatchOut`'s dump, byte for byte, by
    tests/activities/test_batch_and_void.py."""
    error_out = ErrorInItemOut()
    return {"results": [{
        "client_id": result.client_id, "status": result.status,
        "activity": None if result.activity is None else activity_answer(result.activity),
        "error": None if result.error is None else error_out.dump(result.error),
    } for result in results]}


def activity_answer(activity) -> dict:
    """`ActivityOut`'s dump of an activity (a row, or one just written), field by field."""
    return {
        "id": activity.id, "type": activity.type, "quantity": number_out(activity.quantity),
        "credited_quantity": number_out(activity.credited_quantity),
        "occurred_at": activity.occurred_at, "local_date": activity.local_date.isoformat(),
        "co2e_saved_kg": float(kg(activity.co2e_saved_g)), "points": activity.points,
        "status": activity.status, "capped": activity.capped,
        "points_capped": activity.points_capped, "grams_per_point": activity.grams_per_point,
        "campaign_id": activity.campaign_id, "multiplier": number_out(activity.multiplier),
        "factor_version": activity.factor_version,
        "co2e_saved_per_unit_kg": float(per_unit_kg(activity.per_unit_saved_g)),
        "client_id": activity.client_id, "note": activity.note,
        "created_at": activity.created_at, "voided_at": activity.voided_at,
    }


class PeriodsOut(Schema):
    today = Kilograms()
    week = Kilograms()
    month = Kilograms()
    year = Kilograms()
    total = Kilograms()


class EquivalentOut(Schema):
    key = fields.String()
    name = fields.Method("_name", metadata={"type": "string"})
    value = Number()
    unit = fields.Method("_unit", metadata={"type": "string"})
    factor = fields.String()

    def _name(self, item):
        return item.label_en if preferred_language() == "en" else item.label_zh

    def _unit(self, item):
        return item.unit_en if preferred_language() == "en" else item.unit_zh


class SummaryOut(Schema):
    points_balance = fields.Integer()
    co2e_saved_kg = fields.Nested(PeriodsOut, attribute="co2e_saved_g")
    activities_count = fields.Integer()
    streak_days = fields.Integer()
    team_rank = fields.Integer(allow_none=True)
    equivalents = fields.List(fields.Nested(EquivalentOut))


ActivityPage = page_of(ActivityOut)


# --- review of self-reported entries ----------------------------------------------------

class ReviewQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(REVIEW_STATUSES))


class DecisionIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "void")))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200),
                           metadata={"description": "shown to the person when voided"})


class ReviewOut(Schema):
    id = fields.Integer()
    activity = fields.Nested(ActivityOut)
    user_id = fields.Integer()
    rule = fields.String(metadata={"description": "outlier_quantity | cap_streak | long_trips"})
    status = fields.String(metadata={"description": "open | accepted | voided"})
    decided_by = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    shortfall_points = fields.Integer(metadata={
        "description": "points of a voided entry already spent (the balance went to zero)"})
    created_at = fields.DateTime()


ReviewPage = page_of(ReviewOut)
