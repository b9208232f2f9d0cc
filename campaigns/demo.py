"""Demo campaigns for `flask seed-demo`: two past publicity weeks and a current one.

Runs before the demo activities are logged, so the activities that fall inside a campaign
carry its id and its multiplied points, exactly as real logging would give them. Per
organisation: a green-travel week five weeks ago, an energy-saving publicity week with an
open day two weeks ago (some staff checked in), and a low-carbon-day fortnight running now
with an open day that is open for check-ins over the next three days. Everything goes
through the campaign services; deterministic for the same day.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import local_day, local_midnight, org_zone, week_start
from app.models import Organisation, User
from campaigns.checkins import check_in
from campaigns.models import Campaign
from campaigns.service import create_campaign, create_event

SEED = 2026
CHECKIN_SHARE = 0.45
WEEK = timedelta(days=7)


def _plans(today, tz) -> list[dict]:
    """The campaigns of one organisation, by local dates around `today`."""
    monday = week_start(today)
    green = local_midnight(monday - 5 * WEEK, tz)
    energy = local_midnight(monday - 2 * WEEK, tz)
    low_carbon = local_midnight(today - timedelta(days=2), tz)
    return [
        {"campaign": {"name": "绿色出行周", "description": "骑行、步行、公交地铁出行积分翻倍",
                      "starts_at": green, "ends_at": green + WEEK,
                      "multiplier": Decimal("1.5"),
                      "activity_multipliers": {k: Decimal(2) for k in ("cycle", "walk", "bus")},
                      "goal_co2e_kg": None},
         "event": None},
        {"campaign": {"name": "节能宣传周", "description": "全国节能宣传周：节约能源，绿色低碳",
                      "starts_at": energy, "ends_at": energy + WEEK, "multiplier": Decimal(2),
                      "activity_multipliers": {k: Decimal(3) for k in
                                               ("pc_off", "lights_off", "ac_setpoint")},
                      "goal_co2e_kg": Decimal(150)},
         "event": {"name": "节能宣传周开放日", "starts_at": energy + timedelta(days=2, hours=9),
                   "ends_at": energy + timedelta(days=2, hours=17), "points": 20,
                   "max_checkins": 200}},
        {"campaign": {"name": "全国低碳日主题活动", "description": "低碳生活，绿色出行",
                      "starts_at": low_carbon, "ends_at": low_carbon + 2 * WEEK,
                      "multiplier": Decimal("1.5"), "activity_multipliers": {},
                      "goal_co2e_kg": Decimal(300)},
         "event": {"name": "低碳日开放日", "starts_at": local_midnight(today, tz),
                   "ends_at": local_midnight(today + timedelta(days=3), tz), "points": 15,
                   "max_checkins": 200}},
    ]


def _check_in_some(session: Session, rng: random.Random, staff: list[User], event,
                   now: datetime) -> int:
    """Past open day: a share of the staff checked in during its opening hours."""
    if event.ends_at > now:
        return 0
    people = [u for u in staff if rng.random() < CHECKIN_SHARE and u.id != event.created_by]
    opening = (event.ends_at - event.starts_at).total_seconds()
    for user in people:
        check_in(session, user, event.checkin_code,
                 event.starts_at + timedelta(seconds=rng.uniform(0, opening)))
    return len(people)


def _seed_org(session: Session, rng: random.Random, org: Organisation, organizer: User,
              now: datetime) -> tuple[int, list[str]]:
    staff = list(session.scalars(select(User).where(User.org_id == org.id,
                                                    User.is_active.is_(True))
                                 .order_by(User.id)))
    tz = org_zone(org.timezone)
    plans, notes = _plans(local_day(now, tz), tz), []
    for plan in plans:
        # Created when it began: a campaign may start at most an hour back.
        campaign = create_campaign(session, organizer, {**plan["campaign"], "org_id": org.id},
                                   plan["campaign"]["starts_at"], None)
        if plan["event"] is None:
            continue
        event = create_event(session, organizer, campaign, plan["event"],
                             plan["campaign"]["starts_at"], None)
        checked_in = _check_in_some(session, rng, staff, event, now)
        notes.append(f"{event.name} 签到码 {event.checkin_code} ({checked_in} 人已签到)")
    return len(plans), notes


def seed_campaigns(session: Session, echo: Callable[[str], None], now: datetime) -> int:
    """Campaigns for every organisation that has none and an organizer; answers how many."""
    has_campaign = select(Campaign.id).where(Campaign.org_id == Organisation.id).exists()
    rng = random.Random(SEED)
    created = 0
    for org in session.scalars(select(Organisation).where(~has_campaign)
                               .order_by(Organisation.id)).all():
        organizer = session.scalar(select(User).where(User.org_id == org.id,
                                                      User.role == "organizer")
                                   .order_by(User.id).limit(1))
        if organizer is None:
            continue
        count, notes = _seed_org(session, rng, org, organizer, now)
        created += count
        echo(f"  宣传周 (campaigns): {org.name}: {count} 个; " + "; ".join(notes))
    session.flush()
    return created
