"""Query and response schemas of the reports (`ThingQuery`, `ThingOut`)."""

from __future__ import annotations

from marshmallow import fields, validate

from app.models import REGIONS
from app.schemas import Schema
from points.schemas import Yuan

FORMATS = ("json", "csv")
FIRST_YEAR, LAST_YEAR = 2000, 2100


def year_field() -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=FIRST_YEAR, max=LAST_YEAR), metadata={
        "description": "calendar year; default the current year (organisation-local)"})


def format_field() -> fields.String:
    return fields.String(load_default="json", validate=validate.OneOf(FORMATS), metadata={
        "description": "json, or csv (text/csv, UTF-8 with BOM, one header row)"})


class OrgReportQuery(Schema):
    year = year_field()
    format = format_field()


class RegionReportQuery(Schema):
    region = fields.String(validate=validate.OneOf(REGIONS),
                           metadata={"description": "one region; default every region"})
    year = year_field()
    format = format_field()


class DisclosureQuery(RegionReportQuery):
    pass


Kg = fields.Float  # a Decimal with at most 3 places, dumped as a JSON number


class BehaviourOut(Schema):
    type = fields.String()
    name = fields.String(metadata={"description": "Chinese name"})
    name_en = fields.String()
    co2e_saved_kg = Kg()
    activities = fields.Integer()


class MonthFiguresOut(Schema):
    period = fields.String(metadata={"description": "YYYY-MM (a month) or YYYY (the year)"})
    co2e_saved_kg = Kg()
    active_users = fields.Integer()
    participation_rate = fields.Float(allow_none=True, metadata={
        "description": "active users / headcount, 0-1, 4 places; null without a headcount"})
    points_issued = fields.Integer()
    points_redeemed = fields.Integer()
    activities = fields.Integer()
    top_behaviours = fields.List(fields.Nested(BehaviourOut))


class MonthChangeOut(Schema):
    co2e_saved_kg = fields.Float(allow_none=True)
    active_users = fields.Float(allow_none=True)
    participation_rate = fields.Float(allow_none=True)
    points_issued = fields.Float(allow_none=True)
    points_redeemed = fields.Float(allow_none=True)
    activities = fields.Float(allow_none=True)


class MonthOut(MonthFiguresOut):
    previous = fields.Nested(MonthFiguresOut)
    change_pct = fields.Nested(MonthChangeOut, metadata={
        "description": "percent change from `previous`, 1 place; null when that was 0"})


class ReportOrgOut(Schema):
    id = fields.Integer()
    name = fields.String()
    region = fields.String()
    sector = fields.String()
    headcount = fields.Integer()
    timezone = fields.String()


class OrgReportOut(Schema):
    org = fields.Nested(ReportOrgOut)
    year = fields.Integer()
    previous_year = fields.Integer()
    months = fields.List(fields.Nested(MonthOut))
    totals = fields.Nested(MonthOut)


class OrgYearFiguresOut(Schema):
    co2e_saved_kg = Kg()
    points_issued = fields.Integer()
    points_redeemed = fields.Integer()
    activities = fields.Integer()
    active_users = fields.Integer()
    per_capita_co2e_kg = fields.Float(allow_none=True, metadata={
        "description": "kg per head of the declared headcount; null without one"})
    participation_rate = fields.Float(allow_none=True)


class OrgYearChangeOut(Schema):
    co2e_saved_kg = fields.Float(allow_none=True)
    points_issued = fields.Float(allow_none=True)
    points_redeemed = fields.Float(allow_none=True)
    activities = fields.Float(allow_none=True)
    active_users = fields.Float(allow_none=True)
    per_capita_co2e_kg = fields.Float(allow_none=True)
    participation_rate = fields.Float(allow_none=True)


class OrgYearOut(OrgYearFiguresOut):
    previous = fields.Nested(OrgYearFiguresOut)
    change_pct = fields.Nested(OrgYearChangeOut)


class RegionOrgOut(OrgYearOut):
    id = fields.Integer()
    name = fields.String()
    region = fields.String()
    sector = fields.String()
    headcount = fields.Integer()
    sector_rank = fields.Integer(allow_none=True, metadata={
        "description": "rank by per-capita carbon among the sector's organisations (1, 2, 2, 4)"})
    sector_size = fields.Integer()


class RegionTotalsOut(OrgYearOut):
    organisations = fields.Integer()
    headcount = fields.Integer()


class RegionReportOut(Schema):
    region = fields.String(allow_none=True)
    year = fields.Integer()
    previous_year = fields.Integer()
    organisations = fields.List(fields.Nested(RegionOrgOut))
    totals = fields.Nested(RegionTotalsOut)


class PublicFiguresOut(Schema):
    headcount = fields.Integer()
    participants = fields.Integer(allow_none=True)
    co2e_saved_kg = fields.Float(allow_none=True)
    per_capita_co2e_kg = fields.Float(allow_none=True)
    participation_rate = fields.Float(allow_none=True)
    withheld = fields.Boolean(metadata={
        "description": "true: the figures aggregate fewer than 10 people (or would reveal such "
                       "a group by subtraction) and are null"})
    withheld_reason = fields.String(allow_none=True, metadata={
        "description": "fewer_than_10_participants | would_reveal_withheld_institution"})


class PublicOrgOut(PublicFiguresOut):
    name = fields.String()
    sector = fields.String()
    region = fields.String()


class PublicRegionOut(PublicFiguresOut):
    region = fields.String()
    name = fields.String()
    name_en = fields.String()
    organisations = fields.Integer()


class FactorSetOut(Schema):
    version = fields.String()
    effective_from = fields.Date()
    description = fields.String()
    formula_note = fields.String()
    sources = fields.List(fields.String())


class MethodOut(Schema):
    factor_versions = fields.List(fields.String(), metadata={
        "description": "factor set versions of the activities counted"})
    factor_sets = fields.List(fields.Nested(FactorSetOut))
    min_participants = fields.Integer()


class DisclosureOut(Schema):
    region = fields.String(allow_none=True)
    year = fields.Integer()
    regions = fields.List(fields.Nested(PublicRegionOut))
    organisations = fields.List(fields.Nested(PublicOrgOut))
    method = fields.Nested(MethodOut)


# --- points report -----------------------------------------------------------------------

class PointsMonthOut(Schema):
    period = fields.String(metadata={"description": "YYYY-MM"})
    issued = fields.Integer()
    redeemed = fields.Integer()
    expired = fields.Integer()


class PointsReportOut(Schema):
    org_id = fields.Integer()
    year = fields.Integer()
    months = fields.List(fields.Nested(PointsMonthOut))
    issued = fields.Integer(metadata={"description": "the year's total"})
    redeemed = fields.Integer(metadata={"description": "the year's total"})
    expired = fields.Integer(metadata={"description": "the year's total"})
    outstanding_points = fields.Integer(metadata={"description": "held by members now"})
    point_value_yuan = Yuan(4)
    liability_yuan = Yuan(2, metadata={"description": "outstanding_points x point_value_yuan"})
    redeemed_value_yuan = Yuan(2, metadata={"description": "redeemed this year x point value"})
    annual_budget_yuan = Yuan(2, allow_none=True)
    budget_used_pct = Yuan(1, allow_none=True, metadata={  # a Decimal percent, same wire form
        "description": "redeemed_value_yuan / annual_budget_yuan x 100, 1 place; "
                       "null without a budget"})
