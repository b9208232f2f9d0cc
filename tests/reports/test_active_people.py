"""Active users in the reports follow logging, voids, review rejections and a rebuild.

The reports read the people active per month and year as kept rows; what an admin sees
must be the people with an accepted activity there, counted once, on both engines.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, select, update

from activities.logbook import ActivityEntry, log_batch
from activities.models import ActivityReview, OrgActivePeople
from activities.review_decisions import decide_review
from tests.reports.conftest import HEADCOUNT, at


def read(client, make, org, admin, year=2026) -> dict:
    response = client.get(f"/api/v1/reports/orgs/{org.id}", query_string={"year": year},
                          headers=make.headers(admin))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def active(body: dict) -> tuple[list[int], int, int]:
    """Active users of January to April, of the year and of the year before."""
    return ([month["active_users"] for month in body["months"][:4]],
            body["totals"]["active_users"], body["totals"]["previous"]["active_users"])


def region_active(client, make, org) -> tuple[int, int]:
    superadmin = make.user(None, None, "superadmin")
    body = client.get("/api/v1/reports/region", query_string={"year": 2026},
                      headers=make.headers(superadmin)).get_json()
    [row] = [row for row in body["organisations"] if row["id"] == org.id]
    return row["active_users"], row["previous"]["active_users"]


def test_people_count_once_per_month_and_year_and_leave_when_their_last_entry_is_voided(
        client, make, office, log_at, void_at):
    org, team, admin = office
    li, wang, zhao = (make.user(org, team) for _ in range(3))
    january = log_at(li, "walk", 2, at("2026-01-20T09:00:00+08:00"))
    log_at(li, "bus", 5, at("2026-03-02T09:00:00+08:00"))
    first_march = log_at(wang, "walk", 1, at("2026-03-03T09:00:00+08:00"))
    log_at(wang, "walk", 1, at("2026-03-03T18:00:00+08:00"))
    only = log_at(zhao, "stairs", 3, at("2026-02-14T09:00:00+08:00"))
    log_at(zhao, "walk", 2, at("2025-02-14T09:00:00+08:00"))

    assert active(read(client, make, org, admin)) == ([1, 1, 2, 0], 3, 1)
    assert read(client, make, org, admin)["months"][2]["participation_rate"] == 2 / HEADCOUNT

    void_at(zhao, only, at("2026-02-14T10:00:00+08:00"))  # his only entry of the year
    assert active(read(client, make, org, admin)) == ([1, 0, 2, 0], 2, 1)
    void_at(li, january, at("2026-01-20T10:00:00+08:00"))  # March still counts him
    assert active(read(client, make, org, admin)) == ([0, 0, 2, 0], 2, 1)
    void_at(wang, first_march, at("2026-03-03T19:00:00+08:00"))  # one entry of two
    body = read(client, make, org, admin)
    assert active(body) == ([0, 0, 2, 0], 2, 1)
    assert body["totals"]["participation_rate"] == 2 / HEADCOUNT
    assert region_active(client, make, org) == (2, 1)

    log_at(zhao, "walk", 1, at("2026-02-20T09:00:00+08:00"))  # back after a void
    assert active(read(client, make, org, admin)) == ([0, 1, 2, 0], 3, 1)


def test_a_batch_across_new_year_counts_its_person_once_in_each_month_and_year(
        client, make, session, registry, office):
    org, team, admin = office
    chen = make.user(org, team)
    items = [ActivityEntry("walk", Decimal(1), at(when), f"ny-{n}") for n, when in enumerate(
        ("2025-12-31T20:00:00+08:00", "2025-12-31T21:00:00+08:00", "2026-01-01T08:00:00+08:00",
         "2026-01-01T09:00:00+08:00"))]
    results = log_batch(session, chen, items, registry, at("2026-01-01T10:00:00+08:00"))
    session.commit()
    assert [r.status for r in results] == ["created"] * 4

    body = read(client, make, org, admin)
    assert active(body) == ([1, 0, 0, 0], 1, 1)
    assert body["months"][11]["previous"]["active_users"] == 1  # December 2025
    assert region_active(client, make, org) == (1, 1)


def test_a_rejected_entry_takes_its_person_out_of_the_month_and_year_it_was_alone_in(
        client, make, session, office, log_at):
    org, team, admin = office
    sun = make.user(org, team)
    for day in (27, 28, 29):
        log_at(sun, "walk", 1, at(f"2025-12-{day}T09:00:00+08:00"))
    outlier = log_at(sun, "walk", 6, at("2026-01-02T09:00:00+08:00"))
    review = session.scalar(select(ActivityReview).where(ActivityReview.activity_id == outlier.id))
    assert review.rule == "outlier_quantity"
    assert active(read(client, make, org, admin)) == ([1, 0, 0, 0], 1, 1)

    decide_review(session, admin, review.id, "void", "数量不实", at("2026-01-03T09:00:00+08:00"),
                  None)
    session.commit()

    assert active(read(client, make, org, admin)) == ([0, 0, 0, 0], 0, 1)
    assert region_active(client, make, org) == (0, 1)


def test_a_rebuild_recounts_the_active_people_from_the_activities(
        app, client, make, session, office, log_at, void_at):
    org, team, admin = office
    people = [make.user(org, team) for _ in range(4)]
    for n, person in enumerate(people):
        log_at(person, "walk", 1, at(f"2026-0{1 + n % 3}-1{n}T09:00:00+08:00"))
        log_at(person, "bus", 3, at(f"2025-04-1{n}T09:00:00+08:00"))
    voided = log_at(people[0], "walk", 1, at("2026-04-01T09:00:00+08:00"))
    void_at(people[0], voided, at("2026-04-01T10:00:00+08:00"))
    maintained = read(client, make, org, admin)
    assert active(maintained) == ([2, 1, 1, 0], 4, 4)

    session.execute(delete(OrgActivePeople).where(OrgActivePeople.span == "year"))
    session.execute(update(OrgActivePeople).values(people=OrgActivePeople.people + 5))
    session.commit()
    assert active(read(client, make, org, admin)) != active(maintained)
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild", "--org", str(org.id)])
    assert result.exit_code == 0, result.output

    assert read(client, make, org, admin) == maintained
    assert region_active(client, make, org) == (4, 4)


def test_active_people_of_one_month_are_counted_where_the_organisation_lives(
        client, make, office, log_at):
    """23:30 on 31 January in UTC is 1 February in Beijing: February's person."""
    org, team, admin = office
    log_at(make.user(org, team), "walk", 1, at("2026-01-31T23:30:00+00:00"))
    log_at(make.user(org, team), "walk", 1, at("2026-01-31T15:59:59+00:00"))
    assert active(read(client, make, org, admin)) == ([1, 1, 0, 0], 2, 0)
