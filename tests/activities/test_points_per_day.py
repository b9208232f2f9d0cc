"""Points are counted per behaviour and local day (FACTORS.md "Points"): only the day's
first entry earns the minimum point, so splitting an entry never earns more than logging it
once, in single logging, batches, under a campaign multiplier, concurrently, in the estimate
and in the catalogue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.carbon import entry_points
from activities.factors import default_factors_path, load_factor_registry
from activities.service import DayUsage, price_entry
from points.ledger import account_of, ledger_sum
from tests.activities.test_concurrency_and_cost import run_concurrently

FACTOR_SET = load_factor_registry(default_factors_path()).sets[0]
ONE = Decimal(1)


@pytest.fixture
def frozen(clock):
    """A frozen clock: every entry of a test falls on the same local day."""
    return clock.freeze()


def batch(client, make, user, items, now=None):
    headers = {"Authorization": f"Bearer {make.token(user, now)}"}
    response = client.post("/api/v1/activities/batch", json={"items": items}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def x5_campaign(client, make, org, team, now):
    organizer = make.user(org, team, role="organizer")
    response = client.post("/api/v1/campaigns", headers=make.headers(organizer), json={
        "name": "节能宣传周", "starts_at": (now - timedelta(minutes=30)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(), "multiplier": 5})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- the rule ----------------------------------------------------------------------------

def test_a_later_entry_earns_at_most_its_own_grams_points():
    factor_set = FACTOR_SET
    # (entry's grams, the day's grams with it as one entry, the day's points before it)
    assert entry_points(5, 5, 0, factor_set) == 1  # first of the day: the minimum
    assert entry_points(10, 15, 1, factor_set) == 0  # 15 g in one entry would earn 1
    assert entry_points(15, 30, 1, factor_set) == 1  # its own 15 g: 1
    assert entry_points(0, 0, 0, factor_set) == 1  # stairs: participation
    assert entry_points(0, 0, 1, factor_set) == 0


BEHAVIOURS = ("stairs", "walk", "duplex_print", "video_meeting", "lights_off", "own_cup",
              "clean_plate")


@st.composite
def split_entry(draw):
    """(behaviour, the whole quantity one entry may hold, its parts), in thousandths."""
    behaviour = draw(st.sampled_from(BEHAVIOURS))
    most = int(FACTOR_SET.behaviour(behaviour).max_per_entry * 1000)
    whole = draw(st.integers(min_value=1, max_value=most))
    cuts = draw(st.lists(st.integers(min_value=1, max_value=max(1, whole - 1)), max_size=30,
                         unique=True)) if whole > 1 else []
    bounds = [0, *sorted(cuts), whole]
    parts = [Decimal(b - a) / 1000 for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    return behaviour, Decimal(whole) / 1000, parts


def points_of(behaviour: str, quantities: list[Decimal], multiplier: Decimal) -> int:
    """Points of entries logged one after another on one day, as logging prices them."""
    spec, day, points = FACTOR_SET.behaviour(behaviour), DayUsage(), 0
    for quantity in quantities:
        priced = price_entry(spec, quantity, "beijing", FACTOR_SET, day, multiplier)
        points, day = points + priced.points, priced.added_to(day)
    return points


@settings(max_examples=400, deadline=None)
@given(entry=split_entry(), multiplier=st.sampled_from(["1", "1.25", "2", "5"]))
def test_splitting_an_entry_never_earns_more_than_logging_it_once(entry, multiplier):
    """Any split of any quantity one entry may hold, in any behaviour, under any multiplier
    (grams rounded per part: 2 x 2.635 km walked are 370 g each, 5.27 km once 739 g)."""
    behaviour, whole, parts = entry

    split = points_of(behaviour, parts, Decimal(multiplier))

    assert split <= points_of(behaviour, [whole], Decimal(multiplier))


def test_two_halves_rounded_up_earn_no_more_than_the_whole():
    assert points_of("walk", [Decimal("2.635")] * 2, ONE) == 73
    assert points_of("walk", [Decimal("5.270")], ONE) == 73


# --- logging -------------------------------------------------------------------------------

def test_100_tiny_stairs_entries_under_x5_earn_5_points_not_500(client, make, person, session,
                                                                frozen):
    x5_campaign(client, make, person.org, person.team, frozen)

    results = batch(client, make, person.user,
                    [{"type": "stairs", "quantity": 0.001} for _ in range(100)])

    assert [r["status"] for r in results] == ["created"] * 100
    assert [r["activity"]["points"] for r in results] == [5] + [0] * 99
    assert account_of(session, person.user.id) == (5, 5)
    assert ledger_sum(session, person.user.id) == 5


def test_single_entries_after_the_first_earn_only_their_grams_points(post_activity, person,
                                                                     session, frozen):
    first = post_activity(person.user, type="duplex_print", quantity=1).get_json()
    later = [post_activity(person.user, type="duplex_print", quantity=1).get_json()["points"]
             for _ in range(9)]
    once = post_activity(person.user, type="walk", quantity=0.05).get_json()

    assert first["points"] == 1  # 5 g: the day's first sheet earns the minimum
    assert later == [0] * 9  # 5 g each: nothing of their own
    assert once["points"] == 1  # another behaviour has its own first entry
    assert account_of(session, person.user.id)[0] == 2


def test_a_big_later_entry_earns_its_grams_points_up_to_the_whole_days(post_activity, person,
                                                                      frozen):
    post_activity(person.user, type="walk", quantity=0.05)  # 7 g: 1 point

    body = post_activity(person.user, type="walk", quantity=5).get_json()

    # 701 g, but 708 g in one entry earn 70 and the first already had 1 of them.
    assert body["points"] == 69


def test_an_entry_wholly_past_the_cap_earns_nothing_even_first_under_a_campaign(
        client, make, post_activity, person, frozen):
    x5_campaign(client, make, person.org, person.team, frozen)
    post_activity(person.user, type="clean_plate", quantity=3)  # the cap

    body = post_activity(person.user, type="clean_plate", quantity=1).get_json()

    assert (body["capped"], body["points"]) == (True, 0)


def test_voiding_the_days_only_entry_makes_the_next_one_first_again(client, make,
                                                                   post_activity, person,
                                                                   session, frozen):
    logged = post_activity(person.user, type="stairs", quantity=3).get_json()
    assert client.delete(f"/api/v1/activities/{logged['id']}",
                         headers=make.headers(person.user)).status_code == 200

    again = post_activity(person.user, type="stairs", quantity=3).get_json()

    assert again["points"] == 1
    assert account_of(session, person.user.id)[0] == 1


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.integers(min_value=1, max_value=1250), min_size=2, max_size=12))
def test_a_batch_split_earns_no_more_than_one_entry(client, make, person, session, frozen,
                                                    parts):
    """walk (at most 15 km an entry): the same distance logged by two people, split and
    whole."""
    splitter, whole = make.user(person.org, person.team), make.user(person.org, person.team)
    quantities = [str(Decimal(p) / 1000) for p in parts]
    total = str(sum(Decimal(q) for q in quantities))

    split = batch(client, make, splitter, [{"type": "walk", "quantity": q} for q in quantities],
                  frozen)
    once = batch(client, make, whole, [{"type": "walk", "quantity": total}], frozen)

    assert {r["status"] for r in split + once} == {"created"}

    assert ledger_sum(session, splitter.id) <= ledger_sum(session, whole.id)


@pytest.mark.concurrency
def test_concurrent_first_entries_make_exactly_one_first(app, make, person, session, frozen):
    headers = make.headers(person.user)

    responses = run_concurrently(app, [("POST", "/api/v1/activities",
                                        {"type": "stairs", "quantity": 1}, headers)] * 12)

    assert [getattr(r, "status_code", r) for r in responses] == [201] * 12
    assert sorted(r.get_json()["points"] for r in responses) == [0] * 11 + [1]
    assert account_of(session, person.user.id) == (1, 1)


# --- estimate and catalogue ----------------------------------------------------------------

def test_the_estimate_says_what_the_entry_would_earn_now(client, make, post_activity, person,
                                                         frozen):
    x5_campaign(client, make, person.org, person.team, frozen)

    def estimate():
        return client.post("/api/v1/carbon/estimate", json={"type": "stairs", "quantity": 0.001},
                           headers=make.headers(person.user)).get_json()

    before = estimate()
    post_activity(person.user, type="stairs", quantity=0.001)
    after = estimate()

    assert (before["points"], before["first_of_day"], before["multiplier"]) == (5, True, 5)
    assert (after["points"], after["first_of_day"]) == (0, False)


def test_the_estimate_applies_what_is_left_of_the_daily_cap(client, make, post_activity,
                                                            person, frozen):
    post_activity(person.user, type="walk", quantity=15)  # cap 20 km

    body = client.post("/api/v1/carbon/estimate", json={"type": "walk", "quantity": 8},
                       headers=make.headers(person.user)).get_json()

    assert (body["credited_quantity"], body["capped"], body["co2e_saved_kg"],
            body["points"]) == (5, True, 0.701, 70)


def test_the_catalogue_says_only_the_first_entry_earns_the_minimum(client, make, person):
    items = client.get("/api/v1/activity-types", headers=make.headers(person.user)).get_json()

    stairs = {i["key"]: i for i in items["items"]}["stairs"]
    assert (stairs["points_per_unit"], stairs["min_points_per_entry"],
            stairs["first_entry_min_points"]) == (0, 0, 1)
