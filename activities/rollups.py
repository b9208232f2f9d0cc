"""Report rollups kept with every activity: per (org, day, team, behaviour), per (org,
month, behaviour), per person and month, and the people active per (org, month) and (org,
year).

Logging adds a request's activities summed per row (`rollup_rows`), each table moved
once: inside the logging statement on PostgreSQL (`activities.logbook_sql`, the request's
last statement before COMMIT), by `write_rollups` on SQLite. A void takes one activity
back with `take_back_rollups` in the caller's transaction and leaves the rows at zero
rather than deleting them: the person's month row (`monthly_participants`, theirs alone)
at once, the (org, day, team, behaviour) row shared by a team and the (org, month,
behaviour) row shared by the whole organisation with the caller's other shared rows at
its end (`app.shared_rows`), so they are locked for the last statements of the request
and in the order every writer takes them (month rows first, the order
`rollups_cli.pause_rollup_writers` locks the tables in).

Active people (`OrgActivePeople`) move only when a person starts or stops counting: the
logging request knows which of the person's months of the touched years already count
them (read under their lock with the rest of its state, `logbook._read_state`), a void
learns from the month row it takes back whether that row and its year reached zero.

`flask rollups rebuild` recomputes the same rows from the raw activities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import (
    Date,
    Table,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from activities.models import (
    Activity,
    ActivityMonthlyRollup,
    ActivityRollup,
    MonthlyParticipant,
    NewActivity,
    OrgActivePeople,
)
from app.calendar import month_start, year_start
from app.shared_rows import SharedRows
from app.upserts import additive_upsert, params


@dataclass
class RollupRows:
    """What logged activities add to the three tables, summed per row.

    `participants`: (org, month, user) -> activities; `months`: (org, month, type) ->
    [activities, grams, points]; `days`: (org, day, team_key, type) -> [team_id,
    activities, grams, points]; `newly_active`: (org, first day, span) of the months and
    years the person starts counting in (one more person each). Sorted keys are the order
    rows are locked in.
    """

    participants: dict[tuple[int, date, int], int] = field(default_factory=dict)
    months: dict[tuple[int, date, str], list[int]] = field(default_factory=dict)
    days: dict[tuple[int, date, int, str], list] = field(default_factory=dict)
    newly_active: list[tuple[int, date, str]] = field(default_factory=list)


def rollup_rows(activities: list[Activity | NewActivity],
                counted_months: set[date]) -> RollupRows:
    """The rows one person's accepted activities move, summed (the logging path writes each
    table once). `counted_months`: the months of the activities' years in which the person
    already has an accepted activity of this organisation."""
    rows = RollupRows()
    for activity in activities:
        month = month_start(activity.local_date)
        key = (activity.org_id, month, activity.user_id)
        rows.participants[key] = rows.participants.get(key, 0) + 1
        totals = rows.months.setdefault((activity.org_id, month, activity.type), [0, 0, 0])
        totals[0] += 1
        totals[1] += activity.co2e_saved_g
        totals[2] += activity.points
        day = rows.days.setdefault((activity.org_id, activity.local_date, activity.team_id or 0,
                                    activity.type), [activity.team_id, 0, 0, 0])
        day[1] += 1
        day[2] += activity.co2e_saved_g
        day[3] += activity.points
    touched = {(org_id, month) for org_id, month, _ in rows.participants}
    counted_years = {year_start(month) for month in counted_months}
    newly_active = {(org_id, month, "month") for org_id, month in touched
                    if month not in counted_months}
    newly_active |= {(org_id, year_start(month), "year") for org_id, month in touched
                     if year_start(month) not in counted_years}
    rows.newly_active = sorted(newly_active)
    return rows


def write_rollups(session: Session, rows: RollupRows) -> None:
    """Add `rows` with one statement per table, in the tables' lock order (SQLite's path;
    PostgreSQL writes them inside the logging statement, `activities.logbook_sql`)."""
    if not rows.participants:
        return
    session.execute(_participants_upsert(session),
                    [params(org_id=org_id, month=month, user_id=user_id, activities=count)
                     for (org_id, month, user_id), count in sorted(rows.participants.items())])
    session.execute(_months_upsert(session),
                    [params(org_id=org_id, month=month, type=kind, activities=count, co2e_g=grams,
                            points=points)
                     for (org_id, month, kind), (count, grams, points)
                     in sorted(rows.months.items())])
    session.execute(_days_upsert(session),
                    [params(org_id=org_id, day=day, team_key=team_key, type=kind, team_id=team_id,
                            activities=count, co2e_g=grams, points=points)
                     for (org_id, day, team_key, kind), (team_id, count, grams, points)
                     in sorted(rows.days.items())])


def count_newly_active(session: Session, rows: RollupRows, shared: SharedRows) -> None:
    """Add one person to each (org, month or year) of `rows.newly_active`, in `shared`
    (SQLite's path; PostgreSQL counts them inside the logging statement)."""
    upsert = additive_upsert(session, OrgActivePeople, keys=("org_id", "start", "span"),
                             adds=("people",))
    for key in rows.newly_active:
        org_id, start, span = key
        shared.add(upsert, key, params(org_id=org_id, start=start, span=span, people=1))


def take_back_rollups(session: Session, activity: Activity, shared: SharedRows) -> None:
    """A voided activity leaves the rollups: its person's month row at once, the shared
    (org, day, team, behaviour) and (org, month, behaviour) rows added to `shared`, and the
    person from the month's (and the year's) active people when it was their last there.
    The rows exist since the activity was accepted, so each move is an update (an upsert's
    would-be insert of negative counts is refused by the tables' checks)."""
    month = month_start(activity.local_date)
    left, elsewhere_in_year = session.execute(_take_back_participant(), {
        "k_org_id": activity.org_id, "k_month": month, "k_user_id": activity.user_id,
        "year_start": year_start(month), "year_end": date(month.year + 1, 1, 1)}).one()
    if left == 0:
        _take_back_person(shared, (activity.org_id, month, "month"))
        if elsewhere_in_year == 0:
            _take_back_person(shared, (activity.org_id, year_start(month), "year"))
    taken = {"v_activities": -1, "v_co2e_g": -activity.co2e_saved_g,
             "v_points": -activity.points}
    month_key = (activity.org_id, month, activity.type)
    shared.add(_take_back(ActivityMonthlyRollup.__table__, ("org_id", "month", "type")),
               month_key, {"k_org_id": activity.org_id, "k_month": month,
                           "k_type": activity.type, **taken})
    day_key = (activity.org_id, activity.local_date, activity.team_id or 0, activity.type)
    shared.add(_take_back(ActivityRollup.__table__, ("org_id", "day", "team_key", "type")),
               day_key, {"k_org_id": activity.org_id, "k_day": activity.local_date,
                         "k_team_key": activity.team_id or 0, "k_type": activity.type,
                         **taken})


@lru_cache(maxsize=1)
def _take_back_participant():
    """One activity less in a person's month row; answers what is left there and how many
    of their other months of that year still have activities (the statement sees the rows
    as they were before it, the other months included)."""
    row, other = MonthlyParticipant, aliased(MonthlyParticipant)
    org_id, month, user_id = bindparam("k_org_id"), bindparam("k_month"), bindparam("k_user_id")
    elsewhere = (select(func.count())
                 .where(other.org_id == org_id, other.user_id == user_id,
                        other.month >= bindparam("year_start"),
                        other.month < bindparam("year_end"), other.month != month,
                        other.activities > 0)
                 .scalar_subquery())
    return (update(row)
            .where(row.org_id == org_id, row.month == month, row.user_id == user_id)
            .values(activities=row.activities - 1)
            .returning(row.activities, elsewhere)
            .execution_options(synchronize_session=False))


def _take_back_person(shared: SharedRows, key: tuple[int, date, str]) -> None:
    org_id, start, span = key
    shared.add(_take_back_people(), key,
               {"k_org_id": org_id, "k_start": start, "k_span": span})


@lru_cache(maxsize=1)
def _take_back_people():
    table = OrgActivePeople.__table__
    return (update(table)
            .where(table.c.org_id == bindparam("k_org_id"), table.c.start == bindparam("k_start"),
                   table.c.span == bindparam("k_span"))
            .values(people=table.c.people - 1))


@lru_cache(maxsize=4)
def _take_back(table: Table, keys: tuple[str, ...]):
    """The statement adding (negative) amounts to one rollup row, `k_` its key's values."""
    return (update(table)
            .where(*(table.c[name] == bindparam(f"k_{name}") for name in keys))
            .values({name: table.c[name] + bindparam(f"v_{name}")
                     for name in ("activities", "co2e_g", "points")}))


def _participants_upsert(session: Session):
    return additive_upsert(session, MonthlyParticipant, keys=("org_id", "month", "user_id"),
                           adds=("activities",))


def _months_upsert(session: Session):
    return additive_upsert(session, ActivityMonthlyRollup, keys=("org_id", "month", "type"),
                           adds=("activities", "co2e_g", "points"))


def _days_upsert(session: Session):
    return additive_upsert(session, ActivityRollup, keys=("org_id", "day", "team_key", "type"),
                           others=("team_id",), adds=("activities", "co2e_g", "points"))


# --- rebuild ---------------------------------------------------------------------------------

def _month_start(session: Session, day_column):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", day_column), Date)
    return func.date(day_column, "start of month")


def _year_start(session: Session, day_column):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("year", day_column), Date)
    return func.date(day_column, "start of year")


def rebuild_activity_rollups(session: Session, org_id: int) -> tuple[int, int, int]:
    """Replace one organisation's day, month, participant and active people rows with sums
    of its accepted activities; answers (activities read, day rollup rows, participant rows).
    """
    accepted = (Activity.org_id == org_id, Activity.status == "accepted")
    session.execute(delete(ActivityMonthlyRollup).where(ActivityMonthlyRollup.org_id == org_id))
    session.execute(delete(ActivityRollup).where(ActivityRollup.org_id == org_id))
    session.execute(delete(MonthlyParticipant).where(MonthlyParticipant.org_id == org_id))
    session.execute(delete(OrgActivePeople).where(OrgActivePeople.org_id == org_id))
    team_key = func.coalesce(Activity.team_id, 0)
    by_day = (select(Activity.org_id, Activity.local_date, team_key, Activity.type,
                     Activity.team_id, func.count(), func.sum(Activity.co2e_saved_g),
                     func.sum(Activity.points))
              .where(*accepted)
              .group_by(Activity.org_id, Activity.local_date, team_key, Activity.type,
                        Activity.team_id))
    session.execute(insert(ActivityRollup.__table__).from_select(
        ["org_id", "day", "team_key", "type", "team_id", "activities", "co2e_g", "points"],
        by_day))
    month = _month_start(session, Activity.local_date)
    by_type_month = (select(Activity.org_id, month, Activity.type, func.count(),
                            func.sum(Activity.co2e_saved_g), func.sum(Activity.points))
                     .where(*accepted)
                     .group_by(Activity.org_id, month, Activity.type))
    session.execute(insert(ActivityMonthlyRollup.__table__).from_select(
        ["org_id", "month", "type", "activities", "co2e_g", "points"], by_type_month))
    by_month = (select(Activity.org_id, month, Activity.user_id, func.count())
                .where(*accepted)
                .group_by(Activity.org_id, month, Activity.user_id))
    session.execute(insert(MonthlyParticipant.__table__).from_select(
        ["org_id", "month", "user_id", "activities"], by_month))
    _count_active_people(session, org_id)
    # Counted afterwards: psycopg reports no rowcount for INSERT ... SELECT here.
    rollup_rows, read = session.execute(
        select(func.count(), func.coalesce(func.sum(ActivityRollup.activities), 0))
        .where(ActivityRollup.org_id == org_id)).one()
    participant_rows = session.scalar(select(func.count())
                                      .where(MonthlyParticipant.org_id == org_id))
    return int(read), rollup_rows, participant_rows


def _count_active_people(session: Session, org_id: int) -> None:
    """An organisation's active people per month and year, from its participant rows."""
    row = MonthlyParticipant
    counted = (row.org_id == org_id, row.activities > 0)
    columns = ["org_id", "start", "span", "people"]
    session.execute(insert(OrgActivePeople.__table__).from_select(columns, (
        select(row.org_id, row.month, literal("month"), func.count())
        .where(*counted).group_by(row.org_id, row.month))))
    year = _year_start(session, row.month)
    session.execute(insert(OrgActivePeople.__table__).from_select(columns, (
        select(row.org_id, year, literal("year"), func.count(row.user_id.distinct()))
        .where(*counted).group_by(row.org_id, year))))
