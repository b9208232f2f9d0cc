"""An organisation whose stored time zone cannot be resolved counts in Beijing time everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from app.calendar import local_day
from points.models import DailyContribution, OrgDailyPoints

LATE_EVENING_UTC = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January in Beijing


def test_logging_voiding_and_boards_of_an_organisation_in_an_unknown_zone(
        client, make, session, clock):
    org = make.org(timezone="Mars/Olympus_Mons")  # set before zones were checked on input
    user = make.user(org, make.team(org))
    clock.freeze(LATE_EVENING_UTC)
    headers = {"Authorization": f"Bearer {make.token(user, now=clock.now())}"}

    logged = client.post("/api/v1/activities", json={"type": "walk", "quantity": 2},
                         headers=headers)
    assert logged.status_code == 201, logged.get_json()
    board = client.get("/api/v1/leaderboards/teams?period=week", headers=headers)
    summary = client.get("/api/v1/me/summary", headers=headers)
    voided = client.delete(f"/api/v1/activities/{logged.get_json()['id']}", headers=headers)

    assert logged.get_json()["local_date"] == "2027-01-01"
    assert session.query(DailyContribution).filter_by(user_id=user.id).one().day.isoformat() == (
        "2027-01-01")
    assert session.query(OrgDailyPoints).filter_by(org_id=org.id).one().day.isoformat() == (
        "2027-01-01")
    assert board.status_code == 200, board.get_json()
    assert board.get_json()["period"]["start"].startswith("2026-12-28")  # the Monday
    assert summary.status_code == 200, summary.get_json()
    assert voided.status_code == 200, voided.get_json()
    assert local_day(LATE_EVENING_UTC, org.timezone).isoformat() == "2027-01-01"
