"""Review of self-reported entries: the three rules flag (never block), the queue, and an
admin's decision (accept, or void with compensating entries), decided once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from activities.models import ActivityReview
from points.ledger import account_of, credit_points
from points.models import DailyContribution
from tests.points.helpers import auth

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 20, 20, 0, tzinfo=SHANGHAI)


@pytest.fixture
def admin(make, person):
    return make.user(person.org, person.team, role="admin")


def _reviews(session) -> list[ActivityReview]:
    session.expire_all()
    return list(session.scalars(select(ActivityReview).order_by(ActivityReview.id)))


def _days_before(days: int) -> datetime:
    return NOW - timedelta(days=days)


def test_an_outlier_quantity_is_flagged_not_blocked(session, person, log_at):
    for days in (3, 2, 1):
        log_at(person.user, "walk", 1, now=_days_before(days))
    exactly_five_times = log_at(person.user, "walk", 5, now=NOW)
    outlier = log_at(person.user, "walk", 6, now=NOW + timedelta(minutes=1))
    assert outlier.status == "accepted"
    assert outlier.points > 0
    assert [(r.activity_id, r.rule, r.status) for r in _reviews(session)] == [
        (outlier.id, "outlier_quantity", "open")]
    assert exactly_five_times.id != outlier.id


def test_two_earlier_entries_are_too_few_to_judge(session, person, log_at):
    for days in (2, 1):
        log_at(person.user, "walk", 1, now=_days_before(days))
    log_at(person.user, "walk", 10, now=NOW)
    assert _reviews(session) == []


def test_five_days_of_seven_at_the_daily_cap_is_a_streak(session, person, log_at):
    for days in (6, 4, 3, 2):
        log_at(person.user, "ebike", 60, now=_days_before(days))
    assert _reviews(session) == []
    fifth = log_at(person.user, "ebike", 60, now=NOW)
    log_at(person.user, "ebike", 5, now=NOW + timedelta(minutes=1))  # past the cap: once a day
    assert [(r.activity_id, r.rule) for r in _reviews(session)] == [(fifth.id, "cap_streak")]


def test_long_trips_over_1000_km_in_a_month(session, person, log_at):
    log_at(person.user, "rail_not_flight", 600, now=_days_before(5))
    assert _reviews(session) == []
    second = log_at(person.user, "video_meeting", 450, now=NOW)
    assert [(r.activity_id, r.rule) for r in _reviews(session)] == [(second.id, "long_trips")]


def _flag_one(person, log_at):
    log_at(person.user, "rail_not_flight", 600, now=_days_before(5))
    return log_at(person.user, "rail_not_flight", 500, now=NOW)


def test_the_queue_lists_reviews_by_status(client, make, session, person, admin, log_at, clock):
    flagged = _flag_one(person, log_at)
    clock.freeze(NOW)
    url = f"/api/v1/orgs/{person.org.id}/reviews"
    body = client.get(url + "?status=open", headers=auth(make, admin, clock)).get_json()
    assert [(i["rule"], i["activity"]["id"], i["user_id"]) for i in body["items"]] == [
        ("long_trips", flagged.id, person.user.id)]
    assert body["items"][0]["activity"]["quantity"] == 500
    assert client.get(url + "?status=voided",
                      headers=auth(make, admin, clock)).get_json()["items"] == []
    assert client.get(url + "?status=maybe",
                      headers=auth(make, admin, clock)).status_code == 422


def _decide(client, make, clock, admin, review_id, **body):
    return client.post(f"/api/v1/reviews/{review_id}/decide", json=body,
                       headers=auth(make, admin, clock))


def test_accept_keeps_the_entry_and_a_review_is_decided_once(client, make, session, person,
                                                              admin, log_at, clock):
    flagged = _flag_one(person, log_at)
    clock.freeze(NOW)
    review = _reviews(session)[0]
    balance = account_of(session, person.user.id)[0]
    response = _decide(client, make, clock, admin, review.id, decision="accept",
                       reason="出差记录已核实")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "accepted"
    assert response.get_json()["decided_by"] == admin.id
    again = _decide(client, make, clock, admin, review.id, decision="void", reason="再议")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "review_decided"
    assert account_of(session, person.user.id)[0] == balance
    assert response.get_json()["activity"]["status"] == "accepted" == flagged.status


def test_void_reverses_points_and_carbon_and_the_person_sees_why(client, make, session, person,
                                                                  admin, log_at, clock):
    flagged = _flag_one(person, log_at)
    clock.freeze(NOW)
    review = _reviews(session)[0]
    balance = account_of(session, person.user.id)[0]
    grams_before = session.scalar(select(func.sum(DailyContribution.co2e_g)))
    response = _decide(client, make, clock, admin, review.id, decision="void",
                       reason="行程与出差记录不符")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["shortfall_points"]) == ("voided", 0)
    assert body["activity"]["status"] == "voided"
    assert account_of(session, person.user.id)[0] == balance - flagged.points
    session.expire_all()
    assert session.scalar(select(func.sum(DailyContribution.co2e_g))) == (
        grams_before - flagged.co2e_saved_g)
    ledger = client.get("/api/v1/me/points", headers=auth(make, person.user, clock)).get_json()
    entry = ledger["items"][0]
    assert (entry["kind"], entry["delta"], entry["ref"]) == (
        "adjust", -flagged.points, f"review:{review.id}")
    assert "行程与出差记录不符" in entry["reason"]


def test_void_of_spent_points_takes_the_balance_to_zero_and_records_the_shortfall(
        client, make, session, person, admin, log_at, clock):
    flagged = _flag_one(person, log_at)
    clock.freeze(NOW)
    balance = account_of(session, person.user.id)[0]
    credit_points(session, user_id=person.user.id, org_id=person.org.id, team_id=None,
                  delta=-(balance - 3), kind="redeem", source_type="test",
                  source_id=uuid.uuid4().hex, now=NOW)
    session.commit()
    review = _reviews(session)[0]
    response = _decide(client, make, clock, admin, review.id, decision="void", reason="不符")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["shortfall_points"] == flagged.points - 3
    assert account_of(session, person.user.id)[0] == 0


@pytest.mark.parametrize("body", [
    {"decision": "maybe", "reason": "?"},
    {"decision": "void"},
    {"decision": "void", "reason": ""},
    {"reason": "无决定"},
])
def test_bad_decisions_are_refused_and_change_nothing(client, make, session, person, admin,
                                                      log_at, clock, body):
    _flag_one(person, log_at)
    clock.freeze(NOW)
    review = _reviews(session)[0]
    balance = account_of(session, person.user.id)[0]
    response = _decide(client, make, clock, admin, review.id, **body)
    assert response.status_code == 422
    assert _reviews(session)[0].status == "open"
    assert account_of(session, person.user.id)[0] == balance


def test_another_organisations_admin_cannot_see_or_decide(client, make, session, person,
                                                           log_at, clock):
    _flag_one(person, log_at)
    clock.freeze(NOW)
    other = make.org(name="别的单位")
    other_admin = make.user(other, make.team(other), role="admin")
    review = _reviews(session)[0]
    response = _decide(client, make, clock, other_admin, review.id, decision="void",
                       reason="越权")
    assert response.status_code == 404
    assert _reviews(session)[0].status == "open"
