"""The coordinator's view: institutions side by side, and the disclosure as it will appear.

The preview pairs each published group with its actual figures, so a coordinator sees
exactly which groups the public page will withhold (fewer than 10 participants) and why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from activities.factors import FactorRegistry
from reports.service import public_disclosure, region_report


def disclosure_preview(session: Session, region: str | None, year: int | None,
                       registry: FactorRegistry, now: datetime) -> dict:
    """The public disclosure, each institution beside its actual participants and carbon."""
    public = public_disclosure(session, region, year, registry, now)
    actual = region_report(session, region, public["year"], now)
    by_name = {(o["name"], o["region"]): o for o in actual["organisations"]}
    rows = [{"public": entry, "actual": by_name.get((entry["name"], entry["region"]))}
            for entry in public["organisations"]]
    return {"public": public, "organisations": rows}


def region_chart(report: dict) -> dict:
    """Per-capita carbon and participation of each institution (ECharts categories, series)."""
    orgs = report["organisations"]
    return {"categories": [o["name"] for o in orgs],
            "series": [
                {"key": "per_capita_co2e_kg", "type": "bar",
                 "data": [float(o["per_capita_co2e_kg"] or 0) for o in orgs]},
                {"key": "participation_rate", "type": "line", "yAxisIndex": 1,
                 "data": [round(float(o["participation_rate"] or 0) * 100, 1) for o in orgs]},
            ]}
