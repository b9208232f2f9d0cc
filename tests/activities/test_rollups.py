"""Report rollups: kept with every activity, void and ledger entry; rebuilt from the raw rows."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update

from activities.logbook import void_activity
from activities.models import ActivityMonthlyRollup, ActivityRollup, MonthlyParticipant
from points.ledger import credit_points
from points.models import LedgerEntry, OrgDailyPoints
from tests.activities.rollup_checks import active_people, expected_rollups, held_rollups
from tests.activities.test_concurrency_and_cost import run_concurrently
from tests.points.helpers import add_reward, new_key, redeem

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
    walk = log_at(person.user, "walk", 2, now=last)
    stairs = log_at(person.user, "stairs", 3, now=first)

    held = held_rollups(session)
    assert {(k[1], k[3]) for k in held["activities"]} == {(date(2026, 9, 30), "walk"),
                                                          (date(2026, 10, 1), "stairs")}
    org, user = person.org.id, person.user.id
    # 16:00 UTC on 30 September is already October in Beijing time.
    assert held["months"] == {
        (org, date(2026, 9, 1), "walk"): (1, walk.co2e_saved_g, walk.points),
        (org, date(2026, 10, 1), "stairs"): (1, stairs.co2e_saved_g, stairs.points)}
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
    month = session.get(ActivityMonthlyRollup,
                        (person.org.id, kept.local_date.replace(day=1), "bus"))
    session.refresh(month)
    assert (month.activities, month.co2e_g, month.points) == (1, kept.co2e_saved_g, kept.points)
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


# --- a mixed history: maintained figures, independent sums and the rebuild agree ------------

def _checkin(client, make, org, team, people) -> None:
    organizer = make.user(org, team, role="organizer")
    start = make.clock.now() - timedelta(hours=1)
    campaign = client.post("/api/v1/campaigns", headers=make.headers(organizer), json={
        "name": "节能宣传周", "description": "", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=7)).isoformat(), "multiplier": 2}).get_json()
    event = client.post(f"/api/v1/campaigns/{campaign['id']}/events",
                        headers=make.headers(organizer), json={
                            "name": "开放日", "starts_at": start.isoformat(),
                            "ends_at": (start + timedelta(hours=3)).isoformat(), "points": 15,
                            "max_checkins": 50}).get_json()
    for user in people:
        response = client.post("/api/v1/checkins", json={"code": event["checkin_code"]},
                               headers=make.headers(user))
        assert response.status_code in (200, 201), response.get_json()


def _mixed_history(client, make, session, log_at) -> None:
    """Logged, back-filled, batch-logged and voided entries, a check-in, redemptions, a
    cancelled one (refund) and adjustments, in two organisations."""
    orgs = [make.org(name="北京市测试局"), make.org(name="天津市测试中学", region="tianjin")]
    for org in orgs:
        team = make.team(org)
        admin = make.user(org, team, role="admin")
        people = [make.user(org, team), make.user(org, team), make.user(org)]  # one unteamed
        for n, user in enumerate(people):
            for back in range(4):
                log_at(user, ("bus", "walk", "stairs", "metro")[(n + back) % 4], 3 + n,
                       now=make.clock.now() - timedelta(days=back, hours=n))
            client.post("/api/v1/activities/batch", headers=make.headers(user), json={
                "items": [{"type": "pc_off", "quantity": 1, "client_id": f"b{n}"},
                          {"type": "own_cup", "quantity": 2, "client_id": f"c{n}"},
                          {"type": "teleport", "quantity": 1, "client_id": f"x{n}"}]})
        voided = log_at(people[0], "cycle", 6)
        assert client.delete(f"/api/v1/activities/{voided.id}",
                             headers=make.headers(people[0])).status_code == 200
        _checkin(client, make, org, team, people[:2])
        reward = add_reward(session, org, cost=5, stock=5)
        kept = redeem(client, make, people[0], reward.id, new_key())
        cancelled = redeem(client, make, people[1], reward.id, new_key()).get_json()
        assert kept.status_code == 201, kept.get_json()
        assert client.post(f"/api/v1/redemptions/{cancelled['redemption']['id']}/cancel",
                           headers=make.headers(people[1])).status_code == 200
        for delta in (7, -2):
            response = client.post(f"/api/v1/orgs/{org.id}/points-adjustments",
                                   headers=make.headers(admin),
                                   json={"user_id": people[2].id, "delta": delta,
                                         "reason": "更正"})
            assert response.status_code in (200, 201), response.get_json()


def rebuild(app, *args: str):
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_maintained_rollups_equal_the_raw_rows_after_a_mixed_history(app, client, make,
                                                                      session, log_at):
    _mixed_history(client, make, session, log_at)

    held, expected = held_rollups(session), expected_rollups(session)
    kinds = {e.kind for e in session.scalars(select(LedgerEntry))}
    assert kinds == {"earn", "adjust", "bonus", "redeem", "refund"}
    # One redemption of 5 points kept in each organisation, the other refunded.
    assert sum(redeemed for _, redeemed in held["points"].values()) == 10
    assert held == expected


def test_rebuild_recomputes_every_table_from_the_raw_rows(app, client, make, session, log_at):
    _mixed_history(client, make, session, log_at)
    maintained = held_rollups(session)
    # Lose and spoil what was maintained.
    session.execute(delete(MonthlyParticipant))
    session.execute(update(ActivityRollup).values(points=ActivityRollup.points + 1))
    session.execute(delete(ActivityMonthlyRollup).where(ActivityMonthlyRollup.type == "bus"))
    session.execute(update(ActivityMonthlyRollup).values(co2e_g=ActivityMonthlyRollup.co2e_g * 2))
    session.execute(update(OrgDailyPoints).values(issued=0, redeemed=99))
    session.commit()

    output = rebuild(app)

    assert "rebuilding rollups" in output
    assert "rollups rebuilt: 2 organisations" in output
    assert held_rollups(session) == maintained == expected_rollups(session)


def test_rebuild_of_one_organisation_leaves_the_others_alone(app, make, session, log_at):
    first, second = make.org(), make.org()
    for org in (first, second):
        log_at(make.user(org, make.team(org)), "bus", 5)
    session.execute(update(ActivityRollup).values(points=0))
    session.execute(update(ActivityMonthlyRollup).values(points=0))
    session.commit()

    output = rebuild(app, "--org", str(first.id))

    assert "rollups rebuilt: 1 organisations" in output
    for table in (ActivityRollup, ActivityMonthlyRollup):
        points = dict(session.execute(select(table.org_id, table.points)).all())
        assert points[first.id] > 0
        assert points[second.id] == 0


def test_rebuild_of_an_unknown_organisation_is_refused(app):
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild", "--org", "999999"])
    assert result.exit_code != 0
    assert "no organisation 999999" in result.output


def test_rebuilt_points_days_follow_the_organisations_time_zone(app, make, session):
    """Kathmandu is UTC+5:45: entries either side of its midnight land on their own day."""
    org = make.org(timezone="Asia/Kathmandu")
    user = make.user(org, make.team(org))
    midnight = datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Kathmandu"))
    for n, at in enumerate((midnight - timedelta(seconds=1), midnight,
                            midnight + timedelta(hours=23, minutes=59))):
        credit_points(session, user_id=user.id, org_id=org.id, team_id=None, delta=10 + n,
                      kind="earn", source_type="test", source_id=f"tz{n}", now=at)
    session.commit()
    maintained = held_rollups(session)["points"]

    rebuild(app)

    assert held_rollups(session)["points"] == maintained == {
        (org.id, date(2026, 2, 28)): (10, 0), (org.id, date(2026, 3, 1)): (11 + 12, 0)}


# --- concurrency (real commits from threads) -------------------------------------------------

@pytest.mark.concurrency
def test_concurrent_batches_sharing_rollup_rows_never_deadlock(app, make, person, session,
                                                               log_at):
    """Batches naming the same behaviours in either order, some capped (earning nothing),
    all share the team's rollup rows of the day: shared rows are taken in one order."""
    capped = [make.user(person.org, person.team) for _ in range(4)]
    earning = [make.user(person.org, person.team) for _ in range(4)]
    for user in capped:
        for km in (10, 10):  # the day's walking cap: further walks earn nothing
            log_at(user, "walk", km)
    requests = []
    for n, user in enumerate(capped + earning):
        items = [{"type": "walk", "quantity": 1, "client_id": f"w{n}"},
                 {"type": "bus", "quantity": 3, "client_id": f"b{n}"}]
        # Half the batches name the two behaviours the other way round.
        requests.append(("POST", "/api/v1/activities/batch",
                         {"items": items if n % 2 else items[::-1]}, make.headers(user)))

    responses = run_concurrently(app, requests)

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 8
    statuses = [item["status"] for r in responses for item in r.get_json()["results"]]
    assert statuses == ["created"] * 16
    assert held_rollups(session) == expected_rollups(session)


@pytest.mark.concurrency
def test_a_rebuild_while_people_log_misses_and_doubles_nothing(app, make, person, session,
                                                              log_at):
    people = [make.user(person.org, person.team) for _ in range(6)]
    for user in people:
        log_at(user, "bus", 4)
    barrier = threading.Barrier(len(people) + 1)
    outcomes: dict = {}

    def post(user):
        client = app.test_client()
        barrier.wait()
        outcomes[user.id] = client.post("/api/v1/activities", json={
            "type": "metro", "quantity": 5}, headers=make.headers(user)).status_code

    def rebuild_now():
        barrier.wait()
        result = app.test_cli_runner().invoke(args=["rollups", "rebuild"])
        outcomes["rebuild"] = result.exit_code

    threads = [threading.Thread(target=post, args=(u,)) for u in people]
    threads.append(threading.Thread(target=rebuild_now))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == {**{u.id: 201 for u in people}, "rebuild": 0}
    assert held_rollups(session) == expected_rollups(session)
