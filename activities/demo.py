"""About 60 days of believable activity for the demo staff, logged through the service.

The older history (from 1 January of last year) is written in bulk by
`activities.demo_history` with the same people and the same day generator.

Mostly commuting on weekdays (each person keeps one way of getting to work and a
distance to match), some office and canteen habits, light weekends, the odd video
meeting or train instead of a flight. Deterministic: the same seed gives the same
region. Every entry goes through `log_activity` with the time it was "logged", so
caps, points, the ledger and the rollups are exactly what real use would produce.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.factors import FactorRegistry
from activities.logbook import ActivityEntry, log_activity
from app.calendar import local_day, org_zone
from app.errors import ApiError
from app.models import Organisation, User

DAYS = 60
SEED = 2026
# Mode weights by region: Beijing rides the metro, Hebei drives and cycles more.
COMMUTE_MODES = {
    "beijing": {"metro": 34, "bus": 18, "cycle": 16, "walk": 10, "ebike": 10, "carpool": 7,
                "ev_commute": 5},
    "tianjin": {"metro": 20, "bus": 24, "cycle": 18, "walk": 10, "ebike": 16, "carpool": 7,
                "ev_commute": 5},
    "hebei": {"metro": 4, "bus": 26, "cycle": 20, "walk": 12, "ebike": 24, "carpool": 8,
              "ev_commute": 6},
}
# One-way distance range (km) that makes each mode believable.
DISTANCE_KM = {"walk": (0.8, 3.0), "cycle": (2.5, 9.0), "ebike": (4.0, 14.0),
               "bus": (4.0, 18.0), "metro": (6.0, 28.0), "carpool": (8.0, 30.0),
               "ev_commute": (8.0, 35.0)}
# Office and canteen habits: (behaviour, whole-number quantity range).
HABITS = [("pc_off", (1, 3)), ("lights_off", (2, 12)), ("duplex_print", (4, 60)),
          ("own_cup", (1, 3)), ("clean_plate", (1, 2)), ("stairs", (2, 8)),
          ("ac_setpoint", (2, 8))]
# Share of weekdays a person logs, and how many people are like that (%).
ENGAGEMENT = [(0.75, 30), (0.45, 30), (0.2, 25), (0.0, 15)]


@dataclass
class Person:
    user: User
    engagement: float
    mode: str
    distance_km: Decimal
    habits: list[tuple[str, tuple[int, int]]]


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _person(rng: random.Random, user: User, region: str) -> Person:
    engagement = rng.choices([e for e, _ in ENGAGEMENT], weights=[w for _, w in ENGAGEMENT])[0]
    mode = _pick(rng, COMMUTE_MODES.get(region, COMMUTE_MODES["hebei"]))
    low, high = DISTANCE_KM[mode]
    distance = Decimal(str(round(rng.uniform(low, high), 1)))
    habits = rng.sample(HABITS, k=rng.randint(1, 4))
    return Person(user, engagement, mode, distance, habits)


def _at(day, hour: float, tz) -> datetime:
    minutes = int(hour * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)


def day_entries(rng: random.Random, person: Person, day, tz) -> list[tuple[datetime, str,
                                                                           Decimal]]:
    """(time, behaviour, quantity) of one person's day."""
    weekday = day.weekday() < 5
    if rng.random() >= (person.engagement if weekday else person.engagement * 0.2):
        return []
    entries = []
    if weekday:
        # Most people log the round trip once, in the evening; some only the way in.
        round_trip = rng.random() < 0.75
        entries.append((_at(day, rng.uniform(17.3, 19.5) if round_trip else
                            rng.uniform(7.2, 8.9), tz), person.mode,
                        person.distance_km * (2 if round_trip else 1)))
        if rng.random() < 0.35:
            behaviour, (low, high) = rng.choice(person.habits)
            entries.append((_at(day, rng.uniform(9.5, 17.0), tz), behaviour,
                            Decimal(rng.randint(low, high))))
        if rng.random() < 0.03:
            entries.append((_at(day, rng.uniform(10, 16), tz), "video_meeting",
                            Decimal(rng.choice([30, 60, 120, 200]))))
        if rng.random() < 0.008:
            entries.append((_at(day, rng.uniform(8, 12), tz), "rail_not_flight",
                            Decimal(rng.choice([137, 280, 1214]))))
    else:
        entries.append((_at(day, rng.uniform(9, 17), tz), "walk",
                        Decimal(str(round(rng.uniform(1.5, 6.0), 1)))))
    return entries


def recent_start(today: date) -> date:
    """The first day logged through the service (the history stops the day before)."""
    return today - timedelta(days=DAYS)


def demo_people(session: Session) -> list[tuple[User, Organisation, ZoneInfo, Person]]:
    """Everyone enrolled, each with their habits (the same for the history and recent days)."""
    rng = random.Random(SEED)
    orgs = {o.id: o for o in session.scalars(select(Organisation))}
    users = session.scalars(select(User).where(User.org_id.is_not(None),
                                               User.is_active.is_(True)).order_by(User.id)).all()
    people = []
    for user in users:
        org = orgs[user.org_id]
        people.append((user, org, org_zone(org.timezone), _person(rng, user, org.region)))
    return people


def seed_activities(session: Session, echo: Callable[[str], None], registry: FactorRegistry,
                    now: datetime) -> int:
    """Log DAYS days of demo activity for everyone enrolled; answers the entries logged."""
    rng = random.Random(SEED + 1)
    people = demo_people(session)
    logged = 0
    for user, _org, tz, person in people:
        today = local_day(now, tz)
        start = recent_start(today)
        for offset in range((today - start).days + 1):
            for occurred_at, behaviour, quantity in sorted(day_entries(
                    rng, person, start + timedelta(days=offset), tz)):
                logged_at = occurred_at + timedelta(minutes=rng.randint(1, 90))
                if logged_at > now:
                    continue
                try:
                    log_activity(session, user, ActivityEntry(behaviour, quantity, occurred_at),
                                 registry, logged_at)
                except ApiError:  # a limit the generator overshot: real use is refused too
                    continue
                logged += 1
    session.flush()
    echo(f"  行为记录 (activities): {logged} 条, {len(people)} 人, {DAYS} 天")
    return logged
