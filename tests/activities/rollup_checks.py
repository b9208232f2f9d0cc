"""The report rollups as the tables hold them, and as the raw rows say they should be.

The expected figures are computed here in Python from the activities and the ledger,
independently of the SQL that maintains or rebuilds the tables.
"""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.models import (
    Activity,
    ActivityMonthlyRollup,
    ActivityRollup,
    MonthlyParticipant,
    OrgActivePeople,
)
from app.models import Organisation
from points.models import LedgerEntry, OrgDailyPoints


def held_rollups(session: Session) -> dict:
    """What the five tables say; rows left at zero by voids say nothing and are dropped."""
    session.expire_all()
    activities = {(r.org_id, r.day, r.team_key, r.type): (r.activities, r.co2e_g, r.points)
                  for r in session.scalars(select(ActivityRollup))
                  if (r.activities, r.co2e_g, r.points) != (0, 0, 0)}
    months = {(r.org_id, r.month, r.type): (r.activities, r.co2e_g, r.points)
              for r in session.scalars(select(ActivityMonthlyRollup))
              if (r.activities, r.co2e_g, r.points) != (0, 0, 0)}
    participants = {(r.org_id, r.month, r.user_id): r.activities
                    for r in session.scalars(select(MonthlyParticipant)) if r.activities}
    points = {(r.org_id, r.day): (r.issued, r.redeemed)
              for r in session.scalars(select(OrgDailyPoints)) if (r.issued, r.redeemed) != (0, 0)}
    active = {(r.org_id, r.start, r.span): r.people
              for r in session.scalars(select(OrgActivePeople)) if r.people}
    return {"activities": activities, "months": months, "participants": participants,
            "points": points, "active": active}


def expected_rollups(session: Session) -> dict:
    """The same figures summed from accepted activities and ledger entries."""
    session.expire_all()
    activities: dict = defaultdict(lambda: (0, 0, 0))
    months: dict = defaultdict(lambda: (0, 0, 0))
    participants: dict = defaultdict(int)
    people: dict = defaultdict(set)
    for a in session.scalars(select(Activity).where(Activity.status == "accepted")):
        for sums, key in ((activities, (a.org_id, a.local_date, a.team_id or 0, a.type)),
                          (months, (a.org_id, a.local_date.replace(day=1), a.type))):
            count, grams, points = sums[key]
            sums[key] = (count + 1, grams + a.co2e_saved_g, points + a.points)
        participants[(a.org_id, a.local_date.replace(day=1), a.user_id)] += 1
        people[(a.org_id, a.local_date.replace(day=1), "month")].add(a.user_id)
        people[(a.org_id, a.local_date.replace(month=1, day=1), "year")].add(a.user_id)
    zones = {o.id: ZoneInfo(o.timezone) for o in session.scalars(select(Organisation))}
    points: dict = defaultdict(lambda: (0, 0))
    for e in session.scalars(select(LedgerEntry).where(LedgerEntry.org_id.is_not(None))):
        key = (e.org_id, e.created_at.astimezone(zones[e.org_id]).date())
        issued, redeemed = points[key]
        if e.kind in ("earn", "adjust", "bonus"):
            issued += e.delta
        elif e.kind == "redeem":
            redeemed -= e.delta  # a redemption's delta is negative
        elif e.kind == "refund":
            redeemed -= e.delta
        points[key] = (issued, redeemed)
    return {"activities": dict(activities), "months": dict(months),
            "participants": dict(participants),
            "points": {k: v for k, v in points.items() if v != (0, 0)},
            "active": {key: len(users) for key, users in people.items()}}


def active_people(session: Session, org_id: int, month) -> set[int]:
    """Active users of a month as reports count them: rows with activities > 0."""
    session.expire_all()
    return set(session.scalars(select(MonthlyParticipant.user_id).where(
        MonthlyParticipant.org_id == org_id, MonthlyParticipant.month == month,
        MonthlyParticipant.activities > 0)))
