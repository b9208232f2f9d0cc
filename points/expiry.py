"""Expiry of points, oldest first, as `expire` ledger entries.

With `expiry_months` N, points earned in an organisation-local month M can be spent
until the end of month M + N and expire on the first day of the month after.

Oldest first without a table of lots: every debit (a redemption, a negative
adjustment, an expiry) consumes the oldest points left, and no debit can exceed the
balance, so the points left of everything credited before an instant are
`max(0, credits before it - all debits so far)`. That figure is what expires when its
date comes; after the expiry entry it is 0, so expiring twice takes nothing more, and
it never exceeds the balance, so no balance goes negative. A refund comes back as
points of the day it is made.

Exact under concurrency: each person's expiry locks their account row (as every spend
does) and computes under that lock; the entry's source `expiry:<user>:<YYYY-MM>` is
unique, so two runners can never both write it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.calendar import add_months, local_day, local_midnight, org_zone
from app.models import Organisation, User
from points.ledger import credit_points, lock_account
from points.models import LedgerEntry, PointsPolicy
from points.policy import policy_of

# /me/points shows what expires on this many coming expiry dates (a month's warning).
EXPIRING_LOOKAHEAD = 3


@dataclass(frozen=True)
class ExpiryRun:
    organisations: int
    people: int
    points: int


def cutoff_month(local_day: date, expiry_months: int) -> date:
    """Points credited before this month's first day have expired on `local_day`."""
    return add_months(local_day, -expiry_months)


def _zone(org: Organisation | None) -> ZoneInfo:
    return org_zone(org.timezone if org else None)


def _credits_before(instant: datetime):
    return func.coalesce(func.sum(case(
        ((LedgerEntry.delta > 0) & (LedgerEntry.created_at < instant), LedgerEntry.delta),
        else_=0)), 0)


DEBITS = func.coalesce(func.sum(case((LedgerEntry.delta < 0, -LedgerEntry.delta), else_=0)), 0)


def expire_person(session: Session, user: User, cutoff: date, tz: ZoneInfo,
                  now: datetime) -> int:
    """Expire what is left of the person's points credited before `cutoff`; answers it."""
    lock_account(session, user.id)
    credits, debits = session.execute(
        select(_credits_before(local_midnight(cutoff, tz)), DEBITS)
        .where(LedgerEntry.user_id == user.id)).one()
    due = max(0, int(credits) - int(debits))
    if due:
        credit_points(session, user_id=user.id, org_id=user.org_id, team_id=user.team_id,
                      delta=-due, kind="expire", source_type="expiry",
                      source_id=f"{user.id}:{cutoff:%Y-%m}", now=now,
                      reason=f"{cutoff:%Y-%m} 之前获得的积分已过期 "
                             f"(points earned before {cutoff:%Y-%m} expired)")
    return due


def people_due(session: Session, org_id: int, cutoff_instant: datetime) -> list[int]:
    """Members of the organisation holding points credited before the cutoff (one query)."""
    credits = _credits_before(cutoff_instant)
    return list(session.scalars(
        select(LedgerEntry.user_id)
        .join(User, User.id == LedgerEntry.user_id)
        .where(User.org_id == org_id)
        .group_by(LedgerEntry.user_id)
        .having(credits > DEBITS)
        .order_by(LedgerEntry.user_id)))


def expire_points(session: Session, now: datetime, as_of: date | None = None,
                  commit: Callable[[], None] | None = None) -> ExpiryRun:
    """Expire what is due in every organisation with an expiry policy.

    `as_of`: run as of that organisation-local day instead of today. `commit` is called
    after each person, so a long run holds one account lock at a time.
    """
    orgs = session.scalars(select(Organisation).join(
        PointsPolicy, PointsPolicy.org_id == Organisation.id)
        .where(PointsPolicy.expiry_months.is_not(None)).order_by(Organisation.id)).all()
    people = points = 0
    for org in orgs:
        tz = _zone(org)
        policy = policy_of(session, org.id)
        cutoff = cutoff_month(as_of or local_day(now, tz), policy.expiry_months)
        for user_id in people_due(session, org.id, local_midnight(cutoff, tz)):
            expired = expire_person(session, session.get(User, user_id), cutoff, tz, now)
            people, points = people + (expired > 0), points + expired
            if commit is not None:
                commit()
    return ExpiryRun(len(orgs), people, points)


def expiring_points(session: Session, user: User, now: datetime) -> list[dict]:
    """What will expire on the coming expiry dates: [{points, on}], soonest first.

    One query: the credits before each cutoff and all debits. The first date is today
    when points are due but the daily job has not taken them yet.
    """
    policy = policy_of(session, user.org_id)
    if policy.expiry_months is None:
        return []
    tz = _zone(session.get(Organisation, user.org_id))
    today = local_day(now, tz)
    dates = [add_months(today, k) for k in range(EXPIRING_LOOKAHEAD + 1)]
    cutoffs = [local_midnight(add_months(d, -policy.expiry_months), tz) for d in dates]
    row = session.execute(select(*[_credits_before(c) for c in cutoffs], DEBITS)
                          .where(LedgerEntry.user_id == user.id)).one()
    debits, expiring, already = int(row[-1]), [], 0
    for on, credits in zip(dates, row[:-1], strict=True):
        left = max(0, int(credits) - debits)
        if left > already:
            expiring.append({"points": left - already, "on": max(on, today)})
        already = left
    return expiring
