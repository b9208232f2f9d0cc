"""Schemas of the leaderboard endpoint."""

from __future__ import annotations

from marshmallow import fields, validate

from app.models import REGIONS
from app.schemas import Schema
from leaderboards.service import METRICS


class BoardQuery(Schema):
    period = fields.String(load_default="week", metadata={
        "description": "week | month | year | all | campaign:<id>"})
    metric = fields.String(load_default="co2e", validate=validate.OneOf(METRICS))
    org_id = fields.Integer()
    team_id = fields.Integer(metadata={"description": "users board: people of one team"})
    region = fields.String(validate=validate.OneOf(REGIONS))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1))


class PeriodOut(Schema):
    start = fields.DateTime(allow_none=True)
    end = fields.DateTime(allow_none=True)


class BoardEntryOut(Schema):
    rank = fields.Integer(allow_none=True, metadata={"description": "null when withheld"})
    id = fields.Integer()
    name = fields.String()
    value = fields.Raw(allow_none=True, metadata={
        "description": "kg (3 decimals), points, or a 0-1 fraction; null when withheld"})
    members = fields.Integer()
    withheld = fields.Boolean(metadata={
        "description": "organisation boards: fewer than 10 participants in the period, seen "
                       "from outside the organisation; listed after the ranked ones"})


class MyPlaceOut(Schema):
    rank = fields.Integer()
    value = fields.Raw()


class BoardOut(Schema):
    period = fields.Nested(PeriodOut)
    metric = fields.String()
    entries = fields.List(fields.Nested(BoardEntryOut))
    me = fields.Nested(MyPlaceOut, allow_none=True)
