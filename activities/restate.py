"""Restatement: a year's carbon recomputed under another factor set, side by side.

Read-only: stored grams and issued points never change. Each accepted activity is
recomputed from its stored inputs (credited quantity, region) under the other set,
so the two totals differ only by the factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from activities.carbon import estimate_saving
from activities.factors import FactorSet, UnknownBehaviourError
from activities.models import Activity
from app.figures import percent_change
from app.models import Organisation


@dataclass(frozen=True)
class Restated:
    org_id: int
    name: str
    region: str
    activities: int
    stored_g: int
    restated_g: int
    # Behaviours the other set does not know: their stored grams are carried over.
    carried_over: tuple[str, ...] = ()

    @property
    def change_pct(self) -> Decimal | None:
        return percent_change(self.restated_g, self.stored_g)


def restate_year(session: Session, factor_set: FactorSet, year: int) -> list[Restated]:
    """Per organisation: stored grams of `year` (local days) and the same under `factor_set`."""
    groups = session.execute(
        select(Activity.org_id, Activity.region, Activity.type, Activity.credited_quantity,
               func.count(Activity.id), func.sum(Activity.co2e_saved_g))
        .where(Activity.status == "accepted", Activity.local_date >= date(year, 1, 1),
               Activity.local_date < date(year + 1, 1, 1))
        .group_by(Activity.org_id, Activity.region, Activity.type, Activity.credited_quantity)
    ).all()
    totals: dict[int, dict] = {}
    for org_id, region, activity_type, credited, count, stored in groups:
        org = totals.setdefault(org_id, {"n": 0, "stored": 0, "restated": 0, "carried": set()})
        org["n"] += count
        org["stored"] += int(stored or 0)
        try:
            grams = estimate_saving(activity_type, Decimal(credited), region, factor_set).saved_g
            org["restated"] += grams * count
        except UnknownBehaviourError:
            org["restated"] += int(stored or 0)
            org["carried"].add(activity_type)
    orgs = {o.id: o for o in session.scalars(
        select(Organisation).where(Organisation.id.in_(list(totals))))}
    return [Restated(org_id, orgs[org_id].name, orgs[org_id].region, t["n"], t["stored"],
                     t["restated"], tuple(sorted(t["carried"])))
            for org_id, t in sorted(totals.items())]
