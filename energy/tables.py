"""Flat CSV layouts of the energy reports and readings.

`app.csv_export.csv_text` passes every cell through `safe_cell`: a note or a name typed as
`=cmd...` comes back as text, never as a formula a spreadsheet would run.
"""

from __future__ import annotations

from energy.figures import INDICATORS

READING_COLUMNS = ("id", "carrier", "period", "quantity", "unit", "cost_yuan", "kgce",
                   "co2e_kg", "factor_version", "status", "restated", "note")


def readings_table(readings: list[dict]) -> tuple[list[str], list[list]]:
    rows = [[r[name] for name in READING_COLUMNS] + [";".join(f["code"] for f in r["flags"])]
            for r in readings]
    return [*READING_COLUMNS, "flags"], rows


def org_report_table(report: dict) -> tuple[list[str], list[list]]:
    """Rows per month and carrier (as sent), the year's totals, then one row per indicator."""
    header = ["row", "period", "carrier", "quantity", "unit", "kgce", "co2e_kg", "water_m3",
              "value", "previous_year", "change_pct", "base_year", "change_vs_base_pct"]
    rows: list[list] = []
    for month in report["months"]:
        for carrier, cell in month["carriers"].items():
            rows.append(["reading", month["period"], carrier, cell["quantity"], cell["unit"],
                         cell["kgce"], cell["co2e_kg"], None, None, None, None, None, None])
    totals = report["totals"]
    rows.append(["total", str(report["year"]), None, None, None, totals["kgce"],
                 totals["co2e_kg"], totals["water_m3"], None, None, None, None, None])
    base = report["base"]["indicators"] if report.get("base") else {}
    for name in INDICATORS:
        rows.append([name, str(report["year"]), None, None, None, None, None, None,
                     report["indicators"][name], report["previous_year"]["indicators"][name],
                     report["change_pct"][name], base.get(name),
                     report["change_vs_base_pct"][name]])
    return header, rows


def region_report_table(report: dict) -> tuple[list[str], list[list]]:
    """One row per institution, then one per sector, then the region (`合计`)."""
    header = ["org_id", "name", "sector", "status", "reported", "rank", "kgce", "water_m3",
              *INDICATORS]
    rows = [[o["org_id"], o["name"], o["sector"], o.get("status"), o["reported"], o["rank"],
             o["totals"]["kgce"], o["totals"]["water_m3"],
             *(o["indicators"][n] for n in INDICATORS)] for o in report["organisations"]]
    for group in [*report["by_sector"], {**report, "sector": "合计"}]:
        rows.append([None, group["sector"], group["sector"], None, group["institutions"], None,
                     group["totals"]["kgce"], group["totals"]["water_m3"],
                     *(group["indicators"][n] for n in INDICATORS)])
    return header, rows
