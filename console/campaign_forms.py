"""Campaign forms read with the API's schemas (shared by the organizer's and the region's)."""

from __future__ import annotations

from flask import request

from app.errors import Unprocessable
from console.web import form_data, t

LABELS = {"name": "campaigns.name", "description": "campaigns.description",
          "starts_at": "campaigns.starts_at", "ends_at": "campaigns.ends_at",
          "multiplier": "campaigns.multiplier",
          "activity_multipliers": "campaigns.activity_multipliers",
          "goal_co2e_kg": "campaigns.goal", "points": "campaigns.event_points",
          "max_checkins": "campaigns.max_checkins"}


def _multipliers() -> dict | None:
    """`type=factor` lines of the textarea as the API's `activity_multipliers` object."""
    text = request.form.get("activity_multipliers")
    if text is None:
        return None
    result = {}
    for line in text.replace("，", "\n").replace(",", "\n").splitlines():
        key, sep, value = (part.strip() for part in line.partition("="))
        if not (key or value):
            continue
        if not (sep and key and value):
            raise Unprocessable(details={t(LABELS["activity_multipliers"]): [line.strip()]})
        result[key] = value
    return result


def campaign_rules(schema, **extra):
    """A campaign form read with the API's schema (multipliers as `type=factor` lines)."""
    multipliers = _multipliers()
    if multipliers is not None:
        extra["activity_multipliers"] = multipliers
    return form_data(schema, LABELS, blank_is_none=("goal_co2e_kg",), extra=extra)
