"""Report rollups kept with every activity: per (org, day, team, behaviour) and per month.

`record_activity_rollup` moves both tables in the caller's transaction: +1 activity
(with its grams and points) when an entry is accepted, the same taken away when it is
voided. On PostgreSQL both upserts travel in one statement (a data-modifying CTE);
SQLite, which has none, takes two. A void updates the existing rows down (to zero,
kept). `flask rollups rebuild` recomputes the same rows from the raw activities.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, cast, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from activities.models import Activity, ActivityRollup, MonthlyParticipant


def month_of(day: date) -> date:
    """The first day of the month a local day falls in (the MonthlyParticipant key)."""
    return day.replace(day=1)


def record_activity_rollup(session: Session, activity: Activity, sign: int) -> None:
    """Add (sign=1, accepted) or take back (sign=-1, voided) one activity from the rollups."""
    postgres = session.get_bind().dialect.name == "postgresql"
    rollup, participant = (_add_statements if sign > 0 else _take_back_statements)(
        activity, postgres)
    if postgres:
        # PostgreSQL runs a data-modifying CTE whether or not the outer statement reads it.
        session.execute(participant.add_cte(rollup.cte("rollup_change")))
    else:
        session.execute(rollup)
        session.execute(participant)


def _add_statements(activity: Activity, postgres: bool):
    insert = pg_insert if postgres else sqlite_insert
    rollup = insert(ActivityRollup).values(
        org_id=activity.org_id, day=activity.local_date, team_key=activity.team_id or 0,
        type=activity.type, team_id=activity.team_id, activities=1,
        co2e_g=activity.co2e_saved_g, points=activity.points)
    rollup = rollup.on_conflict_do_update(
        index_elements=["org_id", "day", "team_key", "type"],
        set_={"activities": ActivityRollup.activities + rollup.excluded.activities,
              "co2e_g": ActivityRollup.co2e_g + rollup.excluded.co2e_g,
              "points": ActivityRollup.points + rollup.excluded.points})
    participant = insert(MonthlyParticipant).values(
        org_id=activity.org_id, month=month_of(activity.local_date), user_id=activity.user_id,
        activities=1)
    participant = participant.on_conflict_do_update(
        index_elements=["org_id", "month", "user_id"],
        set_={"activities": MonthlyParticipant.activities + participant.excluded.activities})
    return rollup, participant


def _take_back_statements(activity: Activity, _postgres: bool):
    # Plain updates: the rows exist since the activity was accepted (an upsert would not
    # do, as its would-be inserted row of -1 breaks the CHECK before any conflict).
    rollup = (update(ActivityRollup)
              .where(ActivityRollup.org_id == activity.org_id,
                     ActivityRollup.day == activity.local_date,
                     ActivityRollup.team_key == (activity.team_id or 0),
                     ActivityRollup.type == activity.type)
              .values(activities=ActivityRollup.activities - 1,
                      co2e_g=ActivityRollup.co2e_g - activity.co2e_saved_g,
                      points=ActivityRollup.points - activity.points))
    participant = (update(MonthlyParticipant)
                   .where(MonthlyParticipant.org_id == activity.org_id,
                          MonthlyParticipant.month == month_of(activity.local_date),
                          MonthlyParticipant.user_id == activity.user_id)
                   .values(activities=MonthlyParticipant.activities - 1))
    return (rollup.execution_options(synchronize_session=False),
            participant.execution_options(synchronize_session=False))


# --- rebuild ---------------------------------------------------------------------------------

def _month_start(session: Session, day_column):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", day_column), Date)
    return func.date(day_column, "start of month")


def rebuild_activity_rollups(session: Session, org_id: int) -> tuple[int, int, int]:
    """Replace one organisation's activity and participant rows with sums of its accepted
    activities; answers (activities read, rollup rows, participant rows)."""
    accepted = (Activity.org_id == org_id, Activity.status == "accepted")
    session.execute(delete(ActivityRollup).where(ActivityRollup.org_id == org_id))
    session.execute(delete(MonthlyParticipant).where(MonthlyParticipant.org_id == org_id))
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
    by_month = (select(Activity.org_id, month, Activity.user_id, func.count())
                .where(*accepted)
                .group_by(Activity.org_id, month, Activity.user_id))
    session.execute(insert(MonthlyParticipant.__table__).from_select(
        ["org_id", "month", "user_id", "activities"], by_month))
    # Counted afterwards: psycopg reports no rowcount for INSERT ... SELECT here.
    rollup_rows, read = session.execute(
        select(func.count(), func.coalesce(func.sum(ActivityRollup.activities), 0))
        .where(ActivityRollup.org_id == org_id)).one()
    participant_rows = session.scalar(select(func.count())
                                      .where(MonthlyParticipant.org_id == org_id))
    return int(read), rollup_rows, participant_rows
