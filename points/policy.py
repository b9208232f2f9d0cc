"""An organisation's points policy and the monthly earn cap.

The policy says what a point costs to earn (`grams_per_point`), how many points a
person may earn from behaviours in a month (`monthly_earn_cap`), when points expire
(`expiry_months`, see `points.expiry`) and what a point is worth in money. Money is
held as integers: a point's value in 1/10000 yuan, the annual budget in fen; the
wire speaks yuan. A change applies to entries logged after it: each activity stores
the rate it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from app.audit import record_audit
from app.calendar import month_start
from app.models import Organisation, User
from app.upserts import additive_upsert, params
from points.models import (
    DEFAULT_GRAMS_PER_POINT,
    DEFAULT_POINT_VALUE_E4,
    MonthlyEarning,
    PointsPolicy,
)

E4 = Decimal(10000)
FEN = Decimal(100)
POLICY_FIELDS = ("grams_per_point", "monthly_earn_cap", "expiry_months", "point_value_yuan",
                 "annual_budget_yuan")


@dataclass(frozen=True)
class Policy:
    """The policy in force for one organisation (the defaults when none was set)."""

    org_id: int | None
    grams_per_point: int = DEFAULT_GRAMS_PER_POINT
    monthly_earn_cap: int | None = None
    expiry_months: int | None = None
    point_value_e4: int = DEFAULT_POINT_VALUE_E4
    annual_budget_fen: int | None = None

    @property
    def point_value_yuan(self) -> Decimal:
        return Decimal(self.point_value_e4) / E4

    @property
    def annual_budget_yuan(self) -> Decimal | None:
        return None if self.annual_budget_fen is None else Decimal(self.annual_budget_fen) / FEN

    def view(self) -> dict:
        return {name: getattr(self, name) for name in POLICY_FIELDS}


def policy_of(session: Session, org_id: int | None) -> Policy:
    """The organisation's policy; `session.get` answers from the identity map when loaded."""
    return policy_from(org_id, session.get(PointsPolicy, org_id) if org_id is not None else None)


def policy_from(org_id: int | None, row: PointsPolicy | None) -> Policy:
    """The policy a stored row says (None: the defaults)."""
    if row is None:
        return Policy(org_id)
    return Policy(org_id, row.grams_per_point, row.monthly_earn_cap, row.expiry_months,
                  row.point_value_e4, row.annual_budget_fen)


def update_policy(session: Session, actor: User, org: Organisation, changes: dict,
                  now: datetime, ip: str | None) -> Policy:
    """Admin: change some fields of the policy; audited with each field's before and after."""
    before = policy_of(session, org.id)
    stored = _stored_values(changes)
    row = session.get(PointsPolicy, org.id)
    if row is None:
        row = PointsPolicy(org_id=org.id, grams_per_point=before.grams_per_point,
                           point_value_e4=before.point_value_e4)
        session.add(row)
    for name, value in stored.items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = actor.id, now
    session.flush()
    after = policy_of(session, org.id)
    diff = {name: [str(old), str(new)] for name in POLICY_FIELDS
            if (old := getattr(before, name)) != (new := getattr(after, name))}
    record_audit(session, actor, "points.policy", "organisation", org.id, diff, org_id=org.id,
                 ip=ip)
    return after


def _stored_values(changes: dict) -> dict:
    """Wire fields (yuan as Decimal) to stored columns (integers)."""
    stored = {name: changes[name] for name in ("grams_per_point", "monthly_earn_cap",
                                               "expiry_months") if name in changes}
    if "point_value_yuan" in changes:
        stored["point_value_e4"] = int(changes["point_value_yuan"] * E4)
    if "annual_budget_yuan" in changes:
        budget = changes["annual_budget_yuan"]
        stored["annual_budget_fen"] = None if budget is None else int(budget * FEN)
    return stored


# --- the monthly earn cap ----------------------------------------------------------------

def capped_points(policy: Policy, earned: int, points: int) -> tuple[int, bool]:
    """The points an entry may earn after `earned` this month: (granted, capped)."""
    if points <= 0 or policy.monthly_earn_cap is None:
        return max(points, 0), False
    granted = max(0, min(points, policy.monthly_earn_cap - earned))
    return granted, granted < points


def count_monthly_points(session: Session, user_id: int, points_by_month: dict[date, int]) -> None:
    """Add what entries earned to their months, one statement (every entry, capped or
    not, so a cap set mid-month sees the whole month)."""
    rows = [params(user_id=user_id, month=month, points=points)
            for month, points in sorted(points_by_month.items()) if points > 0]
    if rows:
        session.execute(additive_upsert(session, MonthlyEarning, keys=("user_id", "month"),
                                        adds=("points",)), rows)


def release_monthly_points(session: Session, user_id: int, day: date, points: int) -> None:
    """A voided entry's points no longer count against its month (never below zero:
    entries logged before this table existed were never counted)."""
    if points <= 0:
        return
    session.execute(
        update(MonthlyEarning)
        .where(MonthlyEarning.user_id == user_id, MonthlyEarning.month == month_start(day))
        .values(points=case((MonthlyEarning.points >= points, MonthlyEarning.points - points),
                            else_=0))
        .execution_options(synchronize_session=False))
