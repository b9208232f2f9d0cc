"""Flat CSV layouts of the reports: the JSON figures, one row per month or organisation.

Numbers are written as the JSON gives them (kg with 3 places, fractions with 4, percents
with 1); an empty cell is a null (a withheld or undefined figure).
"""

from __future__ import annotations

from reports.service import MONTH_FIGURES, ORG_FIGURES, PUBLIC_FIGURES


def _top(row: dict) -> list:
    top = row["top_behaviours"][0] if row["top_behaviours"] else None
    return [top["type"], top["name"], top["co2e_saved_kg"]] if top else [None, None, None]


def org_report_table(report: dict) -> tuple[list[str], list[list]]:
    """One row per month (YYYY-MM), then one for the year (YYYY)."""
    header = ["period", *MONTH_FIGURES, "top_behaviour", "top_behaviour_name",
              "top_behaviour_co2e_saved_kg", "previous_period",
              *(f"previous_{n}" for n in MONTH_FIGURES),
              *(f"{n}_change_pct" for n in MONTH_FIGURES)]
    rows = [[row["period"], *(row[n] for n in MONTH_FIGURES), *_top(row),
             row["previous"]["period"], *(row["previous"][n] for n in MONTH_FIGURES),
             *(row["change_pct"][n] for n in MONTH_FIGURES)]
            for row in [*report["months"], report["totals"]]]
    return header, rows


def region_report_table(report: dict) -> tuple[list[str], list[list]]:
    """One row per organisation, then a `totals` row (id empty, name 合计)."""
    header = ["id", "name", "region", "sector", "headcount", *ORG_FIGURES, "sector_rank",
              *(f"previous_{n}" for n in ORG_FIGURES), *(f"{n}_change_pct" for n in ORG_FIGURES)]
    rows = [[org["id"], org["name"], org["region"], org["sector"], org["headcount"],
             *(org[n] for n in ORG_FIGURES), org["sector_rank"],
             *(org["previous"][n] for n in ORG_FIGURES),
             *(org["change_pct"][n] for n in ORG_FIGURES)]
            for org in report["organisations"]]
    totals = report["totals"]
    rows.append([None, "合计", report["region"], None, totals["headcount"],
                 *(totals[n] for n in ORG_FIGURES), None,
                 *(totals["previous"][n] for n in ORG_FIGURES),
                 *(totals["change_pct"][n] for n in ORG_FIGURES)])
    return header, rows


def disclosure_table(report: dict) -> tuple[list[str], list[list]]:
    """One row per region (`level` region), then one per institution (`level` organisation)."""
    header = ["level", "region", "name", "sector", "headcount", *PUBLIC_FIGURES, "withheld",
              "withheld_reason"]
    rows = [["region", r["region"], r["name"], None, r["headcount"],
             *(r[n] for n in PUBLIC_FIGURES), r["withheld"], r["withheld_reason"]]
            for r in report["regions"]]
    rows += [["organisation", o["region"], o["name"], o["sector"], o["headcount"],
              *(o[n] for n in PUBLIC_FIGURES), o["withheld"], o["withheld_reason"]]
             for o in report["organisations"]]
    return header, rows
