"""Request and response schemas of the energy ledger (`ThingIn`, `ThingOut`, `ThingQuery`).

Readings are checked by the ledger's own rules (energy/readings.py), which give the
contract's codes (`unknown_carrier`, `unit_mismatch`...); the schemas check shapes.
"""

from __future__ import annotations

from marshmallow import fields, validate

from app.models import REGIONS, SECTORS
from app.pagination import PageQuery
from app.schemas import Schema
from energy.accounting import FIRST_YEAR, LAST_YEAR
from energy.models import SUBMISSION_STATUSES
from energy.readings import BATCH_LIMIT

FORMATS = ("json", "csv")
TEMPLATE_FORMATS = ("csv", "xlsx")


def year_field(**kwargs) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=FIRST_YEAR, max=LAST_YEAR), **kwargs)


def format_field() -> fields.String:
    return fields.String(load_default="json", validate=validate.OneOf(FORMATS), metadata={
        "description": "json, or csv (text/csv, UTF-8 with BOM, one header row)"})


class Number(fields.Raw):
    """A JSON number or a decimal string, checked by the ledger (so NaN, -1 get their code)."""

    def _jsonschema_type_mapping(self):  # pragma: no cover - documentation only
        return {"type": ["number", "string"]}


class ProfileIn(Schema):
    building_area_m2 = fields.Integer(required=True, strict=True, metadata={
        "description": "建筑面积, whole m2, > 0"})
    occupants = fields.Integer(required=True, strict=True, metadata={
        "description": "用能人数: people working there, contractors included, > 0"})
    heating_area_m2 = fields.Integer(strict=True, allow_none=True, load_default=None)


class FlagOut(Schema):
    code = fields.String()
    message = fields.String()
    details = fields.Dict()


class ProfileOut(Schema):
    org_id = fields.Integer()
    year = fields.Integer()
    building_area_m2 = fields.Integer()
    occupants = fields.Integer()
    heating_area_m2 = fields.Integer(allow_none=True)
    flags = fields.List(fields.Nested(FlagOut))
    updated_at = fields.DateTime()


class ProfileListOut(Schema):
    items = fields.List(fields.Nested(ProfileOut))


class ReadingIn(Schema):
    carrier = fields.String(required=True, metadata={
        "description": "electricity, natural_gas, heat, water, gasoline, diesel, coal, lpg"})
    period = fields.String(required=True, metadata={"description": "YYYY-MM, or YYYY (annual)"})
    quantity = Number(required=True, metadata={"description": ">= 0, finite, <= 6 decimals"})
    unit = fields.String(required=True, metadata={"description": "e.g. kWh, MWh, 万kWh, m3"})
    cost_yuan = Number(allow_none=True, metadata={"description": ">= 0, at most 2 decimals"})
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


class ReadingOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    carrier = fields.String()
    period = fields.String()
    quantity = fields.Float()
    unit = fields.String()
    cost_yuan = fields.Float(allow_none=True)
    kgce = fields.Float(metadata={"description": "kg of standard coal, 3 places"})
    co2e_kg = fields.Float(metadata={"description": "kg CO2, 3 places"})
    factor_version = fields.String()
    status = fields.String(metadata={"description": "draft | submitted | approved"})
    restated = fields.Boolean()
    version = fields.Integer(metadata={"description": "1, then one more per correction"})
    note = fields.String(allow_none=True)
    flags = fields.List(fields.Nested(FlagOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReadingListOut(Schema):
    items = fields.List(fields.Nested(ReadingOut))


class ReadingQuery(Schema):
    year = year_field()
    carrier = fields.String()
    format = format_field()


class EnergyBatchIn(Schema):
    items = fields.List(fields.Dict(), required=True,
                        validate=validate.Length(min=1, max=BATCH_LIMIT))


class DryRunQuery(Schema):
    dry_run = fields.Boolean(load_default=False)


class ItemErrorOut(Schema):
    index = fields.Integer()
    row = fields.Integer(metadata={"description": "file imports: the spreadsheet row"})
    code = fields.String()
    message = fields.String()
    details = fields.Dict()


class EnergyBatchOut(Schema):
    dry_run = fields.Boolean()
    items = fields.Integer()
    valid = fields.Integer()
    invalid = fields.Integer()
    errors = fields.List(fields.Nested(ItemErrorOut))
    created_ids = fields.List(fields.Integer())


class ImportFileIn(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class TemplateQuery(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(TEMPLATE_FORMATS))


class CorrectionIn(Schema):
    quantity = Number(required=True)
    unit = fields.String()
    cost_yuan = Number(allow_none=True)
    reason = fields.String(required=True, validate=validate.Length(max=500))


class ActorOut(Schema):
    id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)


class VersionOut(Schema):
    version = fields.Integer()
    quantity = fields.Float()
    unit = fields.String()
    cost_yuan = fields.Float(allow_none=True)
    kgce = fields.Float()
    co2e_kg = fields.Float()
    factor_version = fields.String()
    reason = fields.String(allow_none=True)
    restatement = fields.Boolean()
    actor = fields.Nested(ActorOut)
    created_at = fields.DateTime()


class HistoryOut(Schema):
    items = fields.List(fields.Nested(VersionOut))


class SubmissionIn(Schema):
    period = fields.String(required=True, validate=validate.Regexp(r"^\d{4}(-\d{2})?$"))


class ReturnIn(Schema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class SubmissionOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    period = fields.String()
    status = fields.String()
    comment = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    reviewed_at = fields.DateTime(allow_none=True)


class SubmissionPage(Schema):
    items = fields.List(fields.Nested(SubmissionOut))
    next_cursor = fields.String(allow_none=True)


class SubmissionQuery(PageQuery):
    class Meta:
        unknown = "raise"

    region = fields.String(validate=validate.OneOf(REGIONS))
    status = fields.String(validate=validate.OneOf(SUBMISSION_STATUSES))


class OrgReportQuery(Schema):
    year = year_field()
    base_year = year_field(load_default=None)
    format = format_field()


class RegionReportQuery(OrgReportQuery):
    region = fields.String(validate=validate.OneOf(REGIONS))
    sector = fields.String(validate=validate.OneOf(SECTORS))


class PublicEnergyQuery(OrgReportQuery):
    region = fields.String(validate=validate.OneOf(REGIONS))


class IndicatorsOut(Schema):
    kgce_per_m2 = fields.Float(allow_none=True)
    kgce_per_person = fields.Float(allow_none=True)
    water_m3_per_person = fields.Float(allow_none=True)
    co2e_kg_per_m2 = fields.Float(allow_none=True)
    co2e_kg_per_person = fields.Float(allow_none=True)


class CarrierFiguresOut(Schema):
    quantity = fields.Float()
    unit = fields.String()
    kgce = fields.Float()
    co2e_kg = fields.Float()


class TotalsOut(Schema):
    kgce = fields.Float()
    tce = fields.Float(metadata={"description": "tonnes of standard coal, 3 places"})
    co2e_kg = fields.Float()
    water_m3 = fields.Float(allow_none=True)
    readings = fields.Integer()
    by_carrier = fields.Dict(keys=fields.String(), values=fields.Nested(CarrierFiguresOut),
                             metadata={"description": "per carrier, in its base unit"})


class YearSummaryOut(Schema):
    year = fields.Integer()
    totals = fields.Nested(TotalsOut)
    indicators = fields.Nested(IndicatorsOut)


class EnergyMonthOut(Schema):
    period = fields.String(metadata={"description": "YYYY-MM; a last YYYY row for annual"})
    kgce = fields.Float(allow_none=True)
    co2e_kg = fields.Float(allow_none=True)
    water_m3 = fields.Float(allow_none=True)
    carriers = fields.Dict(keys=fields.String(), values=fields.Nested(CarrierFiguresOut),
                           metadata={"description": "quantity in the unit sent"})


class ComparedOut(Schema):
    totals = fields.Nested(TotalsOut)
    indicators = fields.Nested(IndicatorsOut)
    previous_year = fields.Nested(YearSummaryOut)
    change_pct = fields.Nested(IndicatorsOut)
    base = fields.Nested(YearSummaryOut, allow_none=True)
    change_vs_base_pct = fields.Nested(IndicatorsOut)
    flags = fields.List(fields.Nested(FlagOut))


class EnergyOrgReportOut(ComparedOut):
    org_id = fields.Integer()
    name = fields.String()
    region = fields.String()
    sector = fields.String()
    year = fields.Integer()
    base_year = fields.Integer()
    profile = fields.Dict(allow_none=True)
    months = fields.List(fields.Nested(EnergyMonthOut))
    restated = fields.Boolean()
    base_restated = fields.Boolean()
    status = fields.String(allow_none=True, metadata={
        "description": "draft | submitted | approved: the least advanced of the year"})


class SectorOut(ComparedOut):
    sector = fields.String()
    institutions = fields.Integer()


class EnergyRegionOrgOut(Schema):
    org_id = fields.Integer()
    name = fields.String()
    sector = fields.String()
    reported = fields.Boolean(metadata={"description": "a profile and >= 1 reading"})
    status = fields.String(allow_none=True)
    restated = fields.Boolean()
    totals = fields.Nested(TotalsOut)
    indicators = fields.Nested(IndicatorsOut)
    rank = fields.Integer(allow_none=True, metadata={
        "description": "within the sector, lowest kgce per m2 first; ties share (1, 1, 3)"})
    flags = fields.List(fields.Nested(FlagOut))


class EnergyRegionReportOut(ComparedOut):
    region = fields.String(allow_none=True)
    sector = fields.String(allow_none=True)
    year = fields.Integer()
    base_year = fields.Integer()
    approved_only = fields.Boolean()
    institutions = fields.Integer()
    by_sector = fields.List(fields.Nested(SectorOut))
    organisations = fields.List(fields.Nested(EnergyRegionOrgOut))
    restated = fields.Boolean()
    restated_years = fields.List(fields.Integer())


class EnergyPublicOrgOut(EnergyRegionOrgOut):
    class Meta:
        exclude = ("status",)


class PublicEnergyOut(EnergyRegionReportOut):
    organisations = fields.List(fields.Nested(EnergyPublicOrgOut))
