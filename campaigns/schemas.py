"""Request and response schemas of campaigns, events and check-ins."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from flask import current_app
from marshmallow import fields, validate, validates, validates_schema

from app.i18n import FieldMessage
from app.models import REGIONS
from app.pagination import PageQuery
from app.schemas import Schema, aware_datetime, name_field

# Open-day points ceilings (campaigns.service enforces the campaign's total).
MAX_EVENT_POINTS = 200
MAX_CAMPAIGN_EVENT_POINTS = 1000
MIN_MULTIPLIER, MAX_MULTIPLIER = Decimal("1"), Decimal("5")
STATUSES = ("active", "upcoming", "past")


def known_activity_types() -> frozenset[str]:
    """Every behaviour key of the catalogue the app loaded (FACTORS_PATH or factors.json)."""
    return current_app.extensions["factor_registry"].behaviour_keys


def check_multiplier(value: Decimal) -> None:
    if not MIN_MULTIPLIER <= value <= MAX_MULTIPLIER:
        raise ma.ValidationError(FieldMessage("multiplier_range"))
    if value != value.quantize(Decimal("0.01")):
        raise ma.ValidationError(FieldMessage("multiplier_places"))


def check_activity_multipliers(value: dict) -> None:
    unknown = sorted(set(value) - known_activity_types())
    if unknown:
        raise ma.ValidationError(FieldMessage("unknown_activity_types", types=", ".join(unknown)))


def check_goal(value: Decimal | None) -> None:
    # Decimals counted from the exponent: quantize() raises on a goal of more than 28 digits.
    if value is not None and (value < 0 or value.normalize().as_tuple().exponent < -3):
        raise ma.ValidationError(FieldMessage("goal_value"))


def multiplier_field(**kwargs) -> fields.Decimal:
    return fields.Decimal(validate=check_multiplier, allow_nan=False, **kwargs)


def _check_window(data: dict) -> None:
    if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
        raise ma.ValidationError({"ends_at": [FieldMessage("ends_after_start")]})


class CampaignRulesIn(Schema):
    """Fields shared by creation and edits."""

    name = name_field(required=False, max_length=200)
    description = fields.String(validate=validate.Length(max=4000))
    starts_at = aware_datetime()
    ends_at = aware_datetime()
    multiplier = multiplier_field()
    activity_multipliers = fields.Dict(keys=fields.String(), values=multiplier_field(),
                                       validate=check_activity_multipliers)
    goal_co2e_kg = fields.Decimal(allow_none=True, allow_nan=False, validate=check_goal)

    @validates_schema
    def window(self, data, **_kwargs):
        _check_window(data)


class CampaignIn(CampaignRulesIn):
    name = name_field(max_length=200)
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    org_id = fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "the organisation (default: the caller's); leave out with region"})
    region = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(REGIONS),
                           metadata={"description": "region-wide campaign (superadmin only)"})
    starts_at = aware_datetime(required=True)
    ends_at = aware_datetime(required=True)
    multiplier = multiplier_field(load_default=Decimal("1"), metadata={"default": 1})
    activity_multipliers = fields.Dict(keys=fields.String(), values=multiplier_field(),
                                       load_default=dict, validate=check_activity_multipliers)
    goal_co2e_kg = fields.Decimal(load_default=None, allow_none=True, allow_nan=False,
                                  validate=check_goal)

    @validates_schema
    def one_scope(self, data, **_kwargs):
        if data.get("org_id") is not None and data.get("region") is not None:
            raise ma.ValidationError({"region": [FieldMessage("org_or_region_not_both")]})


class CampaignPatch(CampaignRulesIn):
    pass


class CampaignQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))


class CampaignEventIn(Schema):
    name = name_field(max_length=200)
    starts_at = aware_datetime(required=True)
    ends_at = aware_datetime(required=True)
    points = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_EVENT_POINTS),
                            metadata={"description": f"at most {MAX_EVENT_POINTS}; all events "
                                      f"of a campaign at most {MAX_CAMPAIGN_EVENT_POINTS}"})
    max_checkins = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))

    @validates_schema
    def window(self, data, **_kwargs):
        _check_window(data)


class CheckinIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=4, max=32))

    @validates("code")
    def printable(self, value, **_kwargs):
        if not value.strip():
            raise ma.ValidationError(FieldMessage("checkin_code_empty"))


class CampaignEventOut(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    name = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    points = fields.Integer()
    max_checkins = fields.Integer()
    checkins = fields.Integer()
    requires_approval = fields.Boolean(metadata={
        "description": "points above the organisation's event_approval_points"})
    approved_at = fields.DateTime(allow_none=True, metadata={
        "description": "null while an event that requires approval waits for an admin"})
    approved_by = fields.Integer(allow_none=True)


class CampaignEventWithCodeOut(CampaignEventOut):
    checkin_code = fields.String()


class TeamProgressOut(Schema):
    rank = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    org_id = fields.Integer()
    name = fields.String()
    co2e_saved_kg = fields.Float()
    points = fields.Integer()
    participants = fields.Integer()


class DayProgressOut(Schema):
    date = fields.Date()
    co2e_saved_kg = fields.Float()
    points = fields.Integer()
    participants = fields.Integer()


class ProgressOut(Schema):
    co2e_saved_kg = fields.Float()
    participants = fields.Integer()
    headcount = fields.Integer()
    participation_rate = fields.Float(metadata={"description": "fraction 0..1 of headcount"})
    goal_progress = fields.Float(allow_none=True, metadata={"description": "fraction of goal"})
    activity_points = fields.Integer()
    checkin_points = fields.Integer()
    teams = fields.List(fields.Nested(TeamProgressOut))
    daily = fields.List(fields.Nested(DayProgressOut))


class CampaignOut(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    org_id = fields.Integer(allow_none=True)
    region = fields.String(allow_none=True)
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String(metadata={"description": "upcoming | active | past"})
    multiplier = fields.Float()
    activity_multipliers = fields.Dict(keys=fields.String(), values=fields.Float())
    goal_co2e_kg = fields.Float(allow_none=True)
    created_at = fields.DateTime()


class CampaignDetailOut(CampaignOut):
    progress = fields.Nested(ProgressOut)
    events = fields.List(fields.Nested(CampaignEventOut))


class CheckinOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    campaign_id = fields.Integer()
    points = fields.Integer()
    balance = fields.Integer()
    created_at = fields.DateTime()


class EventQrOut(Schema):
    event_id = fields.Integer()
    checkin_code = fields.String()
    image_svg = fields.String(metadata={"description": "SVG QR code holding checkin_code"})
    image_data_uri = fields.String(metadata={"description": "the same SVG as a data: URI"})


class CampaignReportQuery(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")),
                           metadata={"description": "json (default) or csv (UTF-8 with BOM)"})


class ReportSummaryOut(Schema):
    co2e_saved_kg = fields.Float()
    participants = fields.Integer(metadata={"description": "logged or checked in"})
    headcount = fields.Integer()
    participation_rate = fields.Float(metadata={"description": "fraction 0..1 of headcount"})
    activities = fields.Integer()
    checkins = fields.Integer()


class ReportPointsOut(Schema):
    activity_points = fields.Integer()
    checkin_points = fields.Integer()
    total = fields.Integer()


class ReportTeamOut(Schema):
    rank = fields.Integer(metadata={"description": "by carbon saved; ties share (1, 2, 2, 4)"})
    team_id = fields.Integer(allow_none=True)
    org_id = fields.Integer()
    name = fields.String()
    members = fields.Integer()
    participants = fields.Integer()
    participation_rate = fields.Float(metadata={"description": "fraction 0..1 of members"})
    activities = fields.Integer()
    co2e_saved_kg = fields.Float()
    activity_points = fields.Integer()
    checkin_points = fields.Integer()
    points = fields.Integer()


class ReportBehaviourOut(Schema):
    type = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    activities = fields.Integer()
    participants = fields.Integer()
    co2e_saved_kg = fields.Float()
    points = fields.Integer()


class ReportChangeOut(Schema):
    co2e_saved_kg = fields.Float(allow_none=True)
    participants = fields.Float(allow_none=True)
    participation_rate = fields.Float(allow_none=True)
    points = fields.Float(allow_none=True)


class ReportPreviousOut(Schema):
    campaign_id = fields.Integer()
    name = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    co2e_saved_kg = fields.Float()
    participants = fields.Integer()
    participation_rate = fields.Float()
    points = fields.Integer()
    change_percent = fields.Nested(ReportChangeOut, metadata={
        "description": "percent change to this campaign; null where the previous value is 0"})


class CampaignReportOut(Schema):
    campaign = fields.Nested(CampaignOut)
    status = fields.String(metadata={"description": "upcoming | active | past"})
    final = fields.Boolean(metadata={"description": "true once the campaign has ended"})
    generated_at = fields.DateTime()
    summary = fields.Nested(ReportSummaryOut)
    points = fields.Nested(ReportPointsOut)
    teams = fields.List(fields.Nested(ReportTeamOut))
    behaviours = fields.List(fields.Nested(ReportBehaviourOut))
    top_teams = fields.List(fields.Nested(ReportTeamOut))
    previous = fields.Nested(ReportPreviousOut, allow_none=True)
