"""The campaign report as one flat CSV table: a `section` column names what a row is.

Sections, in order: `campaign` (one row per field: `item` is the field, `value` its
value), `summary` (one row; `members` holds the declared headcount, `value` the
check-ins), `team` (one row per team, `item` = team id, empty for people in no team),
`behaviour` (`item` = behaviour key, `name` its Chinese name), `top_team`, then, when
there is a previous campaign, `previous` (`item` = its id, its figures) and
`change_percent` (the same columns holding percent changes). Numbers are those of the
JSON report; an empty cell is JSON's null.
"""

from __future__ import annotations

from collections.abc import Iterator

COLUMNS = ("section", "item", "name", "org_id", "rank", "members", "participants",
           "participation_rate", "activities", "co2e_saved_kg", "activity_points",
           "checkin_points", "points", "value")
CAMPAIGN_FIELDS = ("id", "name", "org_id", "region", "starts_at", "ends_at")


def _row(section: str, item: object, **cells: object) -> list[object]:
    values = {"section": section, "item": item, **cells}
    return [values.get(column) for column in COLUMNS]


def _text(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else value


def _team_cells(team: dict) -> dict:
    return {key: team[key] for key in ("name", "org_id", "rank", "members", "participants",
                                       "participation_rate", "activities", "co2e_saved_kg",
                                       "activity_points", "checkin_points", "points")}


def report_rows(report: dict) -> Iterator[list[object]]:
    """The rows under COLUMNS, section by section."""
    campaign = report["campaign"]
    for field in CAMPAIGN_FIELDS:
        yield _row("campaign", field, value=_text(campaign[field]))
    for field in ("status", "final", "generated_at"):
        yield _row("campaign", field, value=_text(report[field]))
    summary, points = report["summary"], report["points"]
    yield _row("summary", "total", members=summary["headcount"],
               participants=summary["participants"],
               participation_rate=summary["participation_rate"],
               activities=summary["activities"], co2e_saved_kg=summary["co2e_saved_kg"],
               activity_points=points["activity_points"],
               checkin_points=points["checkin_points"], points=points["total"],
               value=summary["checkins"])
    for team in report["teams"]:
        yield _row("team", team["team_id"], **_team_cells(team))
    for behaviour in report["behaviours"]:
        yield _row("behaviour", behaviour["type"], name=behaviour["name_zh"],
                   participants=behaviour["participants"], activities=behaviour["activities"],
                   co2e_saved_kg=behaviour["co2e_saved_kg"], points=behaviour["points"])
    for team in report["top_teams"]:
        yield _row("top_team", team["team_id"], **_team_cells(team))
    previous = report["previous"]
    if previous is not None:
        figures = ("participants", "participation_rate", "co2e_saved_kg", "points")
        yield _row("previous", previous["campaign_id"], name=previous["name"],
                   **{key: previous[key] for key in figures})
        yield _row("change_percent", previous["campaign_id"], name=previous["name"],
                   **previous["change_percent"])
