"""The demo's long history: from 1 January of last year up to where the logged days begin.

Logging ~40,000 entries through `log_activity` would take minutes, so the older part is
written in bulk: the same people, habits and day generator as `activities.demo`, each
entry priced by the logbook's own pure arithmetic (daily cap, `estimate_saving`,
`price_entry`) and stored with what logging would have left: its usage row, its ledger
entry (`append_past_credits`), its daily contribution (`record_contributions`, which
also queues the Redis board updates) and, at the end, the report rollups rebuilt from
those rows. No campaign ran then, so the multiplier is 1.

Volume follows the seasons (Spring Festival and the summer holidays are quiet, the
energy-saving publicity week in June is busy) and last year is lighter than this one,
so year-over-year reports show growth. Runs first of the demo seeders, so the oldest
ledger entries keep the lowest ids.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from activities.demo import SEED, day_entries, demo_people, recent_start
from activities.factors import FactorRegistry, FactorSet
from activities.logbook import ActivityEntry
from activities.models import Activity, ActivityDailyUsage
from activities.rollups import rebuild_activity_rollups
from activities.service import (
    DayUsage,
    behaviour_of,
    check_quantity,
    factor_set_on,
    price_entry,
)
from app.bulk import insert_rows, new_ids
from app.calendar import local_day
from app.errors import ApiError
from points.contributions import ContributionChange, record_contributions
from points.ledger import PastCredit, append_past_credits
from points.org_points import rebuild_org_points

# Share of a person's usual engagement by month: quiet around the Spring Festival and in
# the summer holidays, busy in June (national energy-saving publicity week).
SEASON = {1: 0.85, 2: 0.55, 3: 0.95, 4: 1.0, 5: 0.95, 6: 1.15, 7: 0.8, 8: 0.7, 9: 1.0,
          10: 0.85, 11: 1.0, 12: 0.9}
LAST_YEAR = 0.7  # last year's engagement against this year's: the programme is growing
ONE = Decimal(1)


@dataclass
class _Rows:
    """Everything the history writes, gathered before one bulk insert per table."""

    activities: list[dict]
    usage: dict[tuple[int, str, date], DayUsage]
    contributions: dict[tuple[int, int | None, date], list[int]]


def history_start(today: date) -> date:
    return date(today.year - 1, 1, 1)


def seed_history(session: Session, echo: Callable[[str], None], registry: FactorRegistry,
                 now: datetime) -> int:
    """Write the demo history in bulk; answers the activities written."""
    people = demo_people(session)
    rng = random.Random(SEED + 2)
    rows = _Rows([], defaultdict(DayUsage), defaultdict(lambda: [0, 0, 0]))
    days = 0
    for user, org, tz, person in people:
        today = local_day(now, tz)
        day, end = history_start(today), recent_start(today)
        days = max(days, (end - day).days)
        while day < end:
            factor_set = factor_set_on(registry, day)
            if factor_set is not None:
                busy = SEASON[day.month] * (LAST_YEAR if day.year < today.year else 1)
                seasonal = replace(person, engagement=person.engagement * busy)
                for occurred_at, key, quantity in sorted(day_entries(rng, seasonal, day, tz)):
                    logged_at = occurred_at + timedelta(minutes=rng.randint(1, 90))
                    _price(rows, user, org, factor_set, day, occurred_at, logged_at, key,
                           quantity)
            day += timedelta(days=1)
    written = _write(session, rows)
    for org_id, timezone in sorted({(org.id, org.timezone) for _, org, _, _ in people}):
        rebuild_activity_rollups(session, org_id)
        rebuild_org_points(session, org_id, timezone)
    echo(f"  历史行为记录 (activity history): {written} 条, {len(people)} 人, {days} 天")
    return written


def _price(rows: _Rows, user, org, factor_set: FactorSet, day: date, occurred_at: datetime,
           logged_at: datetime, key: str, quantity: Decimal) -> None:
    """One entry as `log_activity` would have stored it (cap, grams, points)."""
    try:
        behaviour = behaviour_of(factor_set, key)
        check_quantity(quantity, behaviour)
    except ApiError:  # logging refuses it: the generator overshot
        return
    used = rows.usage[(user.id, key, day)]
    priced = price_entry(behaviour, quantity, org.region, factor_set, used, ONE)
    rows.usage[(user.id, key, day)] = priced.added_to(used)
    saving, points = priced.saving, priced.points
    rows.activities.append({
        "user_id": user.id, "org_id": org.id, "team_id": user.team_id, "type": key,
        "quantity": quantity, "credited_quantity": priced.credited, "occurred_at": occurred_at,
        "local_date": day, "region": org.region, "factor_version": factor_set.version,
        "per_unit_saved_g": saving.per_unit_saved_g, "co2e_saved_g": saving.saved_g,
        "points": points, "base_points": priced.base_points, "capped": priced.capped,
        "status": "accepted", "campaign_id": None, "multiplier": ONE, "client_id": None,
        "note": None, "created_at": logged_at, "voided_at": None,
        "request_hash": ActivityEntry(key, quantity, occurred_at).fingerprint,
        # Not columns: carried to the ledger entry.
        "_reason": f"{behaviour.name_zh} {format(quantity.normalize(), 'f')} "
                   f"{behaviour.unit_zh}"[:200]})
    totals = rows.contributions[(user.id, user.team_id, day)]
    totals[0] += saving.saved_g
    totals[1] += points
    totals[2] += 1


def _write(session: Session, rows: _Rows) -> int:
    rows.activities.sort(key=lambda r: (r["created_at"], r["user_id"]))
    table = Activity.__table__
    reasons = [r.pop("_reason") for r in rows.activities]
    if session.get_bind().dialect.name == "postgresql":
        ids = new_ids(session, table, len(rows.activities))
        for row, activity_id in zip(rows.activities, ids, strict=True):
            row["id"] = activity_id
        insert_rows(session, table, rows.activities)
    else:
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                              rows.activities).scalars().all() if rows.activities else []
    append_past_credits(session, [
        PastCredit(r["user_id"], r["org_id"], r["team_id"], r["points"], "activity",
                   str(activity_id), reason, r["created_at"])
        for r, activity_id, reason in zip(rows.activities, ids, reasons, strict=True)
        if r["points"]])
    usage = [{"user_id": u, "type": t, "day": d, "used_milli": m.milli,
              "base_points": m.base_points} for (u, t, d), m in rows.usage.items()]
    insert_rows(session, ActivityDailyUsage.__table__, usage)
    org_of = {r["user_id"]: r["org_id"] for r in rows.activities}
    record_contributions(session, [
        ContributionChange(user_id, org_of[user_id], team_id, day, grams, points, entries)
        for (user_id, team_id, day), (grams, points, entries) in rows.contributions.items()])
    return len(rows.activities)
