"""The fixed cost of /me/summary: a few statements, however long the history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.read_cost import request_cost

SUMMARY = "/api/v1/me/summary"


@pytest.mark.commits  # counts the app's own statements, without the test's savepoints
def test_the_summary_costs_the_same_few_statements_whatever_the_history(
        app, client, make, person, log_at, clock):
    short, long = make.user(person.org, person.team), make.user(person.org, person.team)
    now = clock.now()
    types = ["walk", "metro", "pc_off", "own_cup", "stairs"]
    for user, days in ((short, 3), (long, 150)):
        for n in range(days):  # a streak of `days` days ending today
            log_at(user, types[n % len(types)], 1, now=now - timedelta(days=n))
    request_cost(app, client, SUMMARY, make.headers(person.user))  # warm-up

    few, many = (request_cost(app, client, SUMMARY, make.headers(u)) for u in (short, long))

    print(f"/me/summary: {few.statements} statements (3 days) / {many.statements} (150 days)")
    assert (few.status, many.status) == (200, 200)
    assert (few.body["streak_days"], many.body["streak_days"]) == (3, 150)
    assert few.statements == many.statements
    # the user with their organisation; every figure of the summary
    assert few.statements == 2
