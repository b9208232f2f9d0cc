"""Report rollups: kept with every activity, void and ledger entry; rebuilt from the raw rows."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from activities.logbook import void_activity
from activities.models import ActivityRollup
from points.models import OrgDailyPoints
from tests.activities.rollup_checks import active_people, expected_rollups, held_rollups

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(*parts) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def test_a_logged_activity_lands_in_its_day_team_and_behaviour(person, session, log_at):
    activity = log_at(person.user, "bus", 10)

    row = session.get(ActivityRollup, (person.org.id, activity.local_date, person.team.id,
                                       "bus"))
    assert (row.activities, row.co2e_g, row.points, row.team_id) == (
        1, activity.co2e_saved_g, activity.points, person.team.id)
    assert held_rollups(session) == expected_rollups(session)


def test_the_last_and_first_second_of_a_month_land_in_their_own_day_and_month(person, session,
                                                                             log_at):
    last = shanghai(2026, 9, 30, 23, 59, 59)
    first = shanghai(2026, 10, 1, 0, 0, 0)
    log_at(person.user, "walk", 2, now=last)
    log_at(person.user, "stairs", 3, now=first)

    held = held_rollups(session)
    assert {(k[1], k[3]) for k in held["activities"]} == {(date(2026, 9, 30), "walk"),
                                                          (date(2026, 10, 1), "stairs")}
    org, user = person.org.id, person.user.id
    assert held["participants"] == {(org, date(2026, 9, 1), user): 1,
                                    (org, date(2026, 10, 1), user): 1}
    # The points were issued at those local days too (the ledger's own time).
    assert set(held["points"]) == {(org, date(2026, 9, 30)), (org, date(2026, 10, 1))}
    assert held == expected_rollups(session)


def test_a_voided_activity_leaves_the_rollups(person, session, log_at):
    kept = log_at(person.user, "bus", 10)
    voided = log_at(person.user, "bus", 4)

    void_activity(session, person.user, voided.id, voided.created_at)
    session.commit()

    row = session.get(ActivityRollup, (person.org.id, kept.local_date, person.team.id, "bus"))
    session.refresh(row)
    assert (row.activities, row.co2e_g, row.points) == (1, kept.co2e_saved_g, kept.points)
    assert held_rollups(session) == expected_rollups(session)


def test_someone_whose_only_activity_of_the_month_is_voided_is_not_active(make, person,
                                                                          session, log_at):
    other = make.user(person.org, person.team)
    log_at(person.user, "walk", 2)
    only = log_at(other, "walk", 2)
    month = only.local_date.replace(day=1)
    assert active_people(session, person.org.id, month) == {person.user.id, other.id}

    void_activity(session, other, only.id, only.created_at)
    session.commit()

    assert active_people(session, person.org.id, month) == {person.user.id}
    assert held_rollups(session) == expected_rollups(session)


def test_a_void_lowers_the_points_issued_that_day(person, session, log_at):
    activity = log_at(person.user, "bus", 10)
    day = activity.created_at.astimezone(SHANGHAI).date()
    issued_before = session.get(OrgDailyPoints, (person.org.id, day)).issued

    void_activity(session, person.user, activity.id, activity.created_at)
    session.commit()

    session.expire_all()
    row = session.scalar(select(OrgDailyPoints).where(OrgDailyPoints.org_id == person.org.id,
                                                      OrgDailyPoints.day == day))
    assert issued_before == activity.points > 0
    assert (row.issued, row.redeemed) == (0, 0)
