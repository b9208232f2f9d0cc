"""The campaign report CSV never hands a spreadsheet a formula: campaign and team names an
organizer chose come back as text, a fall as a negative number (issue 13)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.campaigns.test_report import log, report_of  # noqa: F401 - fixtures
from tests.reports.test_csv_formulas import EVIL, assert_no_formula


def test_names_are_text_and_a_fall_is_a_negative_number(make, world, new_campaign, log,  # noqa: F811
                                                         report_of, clock):  # noqa: F811
    new_campaign(world.organizer, name=EVIL[0], starts_in=timedelta(days=-5),
                 lasts=timedelta(days=2))
    log(world.staff, "metro", 20, occurred_at=(clock.now() - timedelta(days=4)).isoformat())
    campaign = new_campaign(world.organizer, name=EVIL[1])
    for name in EVIL[2:]:
        log(make.user(world.org, make.team(world.org, name)), "metro", 1)

    response = report_of(world.organizer, campaign["id"], format="csv")

    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8")[1:])))
    assert_no_formula(rows)
    by_section = {}
    header = rows[0]
    for row in rows[1:]:
        by_section.setdefault(row[0], []).append(dict(zip(header, row, strict=True)))
    names = {r["item"]: r["value"] for r in by_section["campaign"]}
    assert names["name"] == "'" + EVIL[1]
    assert {r["name"] for r in by_section["team"]} >= {"'" + name for name in EVIL[2:]}
    assert by_section["previous"][0]["name"] == "'" + EVIL[0]
    assert float(by_section["change_percent"][0]["co2e_saved_kg"]) < 0
