"""Concurrent entries against the daily cap, concurrent replays, concurrent voids (real
commits from threads), and the fixed SQL cost of logging one activity."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event

from activities.models import Activity, ActivityDailyUsage
from points.ledger import account_of, ledger_sum
from points.models import LedgerEntry


def run_concurrently(app, requests: list) -> list:
    """Send each (method, url, json, headers) from its own thread, all released at once."""
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def worker(index, method, url, body, headers):
        client = app.test_client()
        barrier.wait()
        try:
            responses[index] = client.open(url, method=method, json=body, headers=headers)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            responses[index] = exc

    threads = [threading.Thread(target=worker, args=(i, *request))
               for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.concurrency
def test_20_concurrent_entries_past_the_cap_credit_exactly_the_cap(app, make, person, session):
    headers = make.headers(person.user)
    # walk: cap 20 km a day; 20 x 1.5 km = 30 km arrive together.
    responses = run_concurrently(app, [("POST", "/api/v1/activities",
                                        {"type": "walk", "quantity": 1.5}, headers)] * 20)

    assert [getattr(r, "status_code", r) for r in responses] == [201] * 20
    bodies = [r.get_json() for r in responses]
    assert sum(b["credited_quantity"] for b in bodies) == 20
    assert sorted(b["credited_quantity"] for b in bodies) == [0] * 6 + [0.5] + [1.5] * 13
    assert sum(b["capped"] for b in bodies) == 7
    # 13 x round(1.5 x 140.276) + round(0.5 x 140.276) = 13 x 210 + 70
    assert sum(round(b["co2e_saved_kg"] * 1000) for b in bodies) == 2800
    assert account_of(session, person.user.id) == (280, 280)
    assert session.query(ActivityDailyUsage).one().used_milli == 20_000


@pytest.mark.concurrency
def test_30_concurrent_replays_of_one_client_id_make_one_activity_and_one_credit(
        app, make, person, session):
    headers = make.headers(person.user)
    body = {"type": "metro", "quantity": 18, "client_id": "tap-tap-tap"}

    responses = run_concurrently(app, [("POST", "/api/v1/activities", body, headers)] * 30)

    assert [getattr(r, "status_code", r) for r in responses] == [201] * 30
    assert len({r.get_json()["id"] for r in responses}) == 1
    assert session.query(Activity).count() == 1
    assert session.query(LedgerEntry).count() == 1
    points = responses[0].get_json()["points"]
    assert account_of(session, person.user.id) == (points, points)


@pytest.mark.concurrency
def test_concurrent_voids_reverse_once(app, make, person, session, post_activity):
    logged = post_activity(person.user, type="metro", quantity=18).get_json()
    headers = make.headers(person.user)

    responses = run_concurrently(app, [("DELETE", f"/api/v1/activities/{logged['id']}",
                                        None, headers)] * 8)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7
    assert ledger_sum(session, person.user.id) == 0
    assert account_of(session, person.user.id)[0] == 0


# --- SQL cost --------------------------------------------------------------------------------

def logging_statements(app, client, make, user) -> int:
    """SQL statements issued by one POST /activities (auth and response included)."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.post("/api/v1/activities", json={"type": "bus", "quantity": 7},
                               headers=make.headers(user))
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert response.status_code == 201
    return count


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_logging_costs_the_same_few_statements_whatever_the_history(clock, app, client, make,
                                                                   person, log_at):
    short, long = make.user(person.org, person.team), make.user(person.org, person.team)
    now = clock.now()
    types = ["walk", "metro", "pc_off", "own_cup", "stairs"]
    for user, size in ((short, 10), (long, 300)):
        for n in range(size):
            log_at(user, types[n % len(types)], 1,
                   now=now - timedelta(days=1 + n % 60, minutes=n))
    logging_statements(app, client, make, person.user)  # warm-up: first use of the pool

    few, many = (logging_statements(app, client, make, u) for u in (short, long))

    print(f"statements for one POST /activities: {few} (10 prior) / {many} (300 prior)")
    assert few == many
    assert few <= 20
