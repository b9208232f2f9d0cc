"""Demo flags and expiry for `flask seed-demo`: a few entries waiting for review, and the
points of the institution whose points expire taken off as the daily job would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.factors import FactorRegistry
from activities.logbook import ActivityEntry, log_activity
from app.errors import ApiError
from app.models import Organisation, User
from points.expiry import expire_points

FLAGGED_ORGS = 3
# Two trains (there and back) adding up to more than 1,000 km in a month: `long_trips`.
TRIPS = (Decimal(620), Decimal(540))


def seed_demo_reviews(session: Session, echo: Callable[[str], None],
                      registry: FactorRegistry, now: datetime) -> None:
    """The first staff member of the first institutions logs long train trips (flagged),
    then expiry runs as of now."""
    orgs = session.scalars(select(Organisation).order_by(Organisation.id)
                           .limit(FLAGGED_ORGS)).all()
    for org in orgs:
        person = session.scalar(select(User).where(User.org_id == org.id, User.role == "staff")
                                .order_by(User.id))
        if person is None:
            continue
        for km in TRIPS:
            try:
                log_activity(session, person, ActivityEntry("rail_not_flight", km, now),
                             registry, now)
            except ApiError:  # a cap or the calendar refused it: real use would too
                continue
        echo(f"  待审核记录 (flagged for review): {org.name}: {person.display_name}")
    run = expire_points(session, now)
    echo(f"  过期积分 (points expired): {run.points}，{run.people} 人")
    session.flush()
