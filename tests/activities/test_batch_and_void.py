"""Batches (each item judged on its own) and voiding on the day of logging."""

from __future__ import annotations

from datetime import timedelta

from activities.models import Activity, ActivityDailyUsage
from points.ledger import account_of, credit_points, ledger_sum
from points.models import DailyContribution, LedgerEntry


def post_batch(client, make, user, items):
    return client.post("/api/v1/activities/batch", json={"items": items},
                       headers=make.headers(user))


def test_batch_of_100_with_duplicates_and_invalid_items_credits_only_the_valid_new_ones(
        client, make, person, session, post_activity):
    already = post_activity(person.user, type="bus", quantity=5, client_id="seen").get_json()
    items = []
    for n in range(100):
        kind = n % 5
        if kind == 0:
            items.append({"type": "stairs", "quantity": 1, "client_id": f"new-{n}"})
        elif kind == 1:
            items.append({"type": "stairs", "quantity": 1, "client_id": f"new-{n - 1}"})
        elif kind == 2:
            items.append({"type": "teleport", "quantity": 1, "client_id": f"bad-{n}"})
        elif kind == 3:
            items.append({"type": "walk", "client_id": f"bad-{n}"})  # no quantity
        else:
            items.append({"type": "bus", "quantity": 5, "client_id": "seen"})

    response = post_batch(client, make, person.user, items)

    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["client_id"] for r in results] == [i["client_id"] for i in items]
    statuses = [r["status"] for r in results]
    assert statuses == ["created", "duplicate", "rejected", "rejected", "duplicate"] * 20
    codes = [r["error"]["code"] for r in results if r["status"] == "rejected"]
    assert codes == ["unknown_activity_type", "validation_error"] * 20
    assert {r["activity"]["id"] for r in results[4::5]} == {already["id"]}
    # 20 new stairs entries (0 g: only the day's first earns its 1 point) and the bus entry
    # before the batch.
    assert session.query(Activity).count() == 21
    assert account_of(session, person.user.id)[0] == already["points"] + 1
    assert ledger_sum(session, person.user.id) == already["points"] + 1


def test_duplicate_in_a_batch_answers_the_same_activity(client, make, person):
    item = {"type": "walk", "quantity": 2, "client_id": "twice"}

    results = post_batch(client, make, person.user, [item, item]).get_json()["results"]

    assert [r["status"] for r in results] == ["created", "duplicate"]
    assert results[0]["activity"] == results[1]["activity"]


def test_batch_item_reusing_a_client_id_with_another_body_is_rejected(client, make, person):
    results = post_batch(client, make, person.user, [
        {"type": "walk", "quantity": 2, "client_id": "k"},
        {"type": "walk", "quantity": 3, "client_id": "k"}]).get_json()["results"]

    assert [r["status"] for r in results] == ["created", "rejected"]
    assert results[1]["error"]["code"] == "idempotency_key_reused"


def test_batch_items_share_the_daily_cap_in_order(client, make, person):
    results = post_batch(client, make, person.user, [
        {"type": "own_cup", "quantity": 4}, {"type": "own_cup", "quantity": 4},
        {"type": "own_cup", "quantity": 1}]).get_json()["results"]  # cap 5 cups

    credited = [(r["activity"]["credited_quantity"], r["activity"]["capped"]) for r in results]
    assert credited == [(4, False), (1, True), (0, True)]


def test_batch_over_100_items_is_refused(client, make, person, session):
    response = post_batch(client, make, person.user,
                          [{"type": "stairs", "quantity": 1}] * 101)

    assert (response.status_code, response.get_json()["error"]["code"]) == (
        422, "validation_error")
    assert session.query(Activity).count() == 0


def test_empty_batch_is_refused(client, make, person):
    assert post_batch(client, make, person.user, []).status_code == 422


# --- void ---------------------------------------------------------------------------------

def void(client, make, user, activity_id):
    return client.delete(f"/api/v1/activities/{activity_id}", headers=make.headers(user))


def test_void_reverses_points_and_carbon(client, make, person, session, post_activity):
    logged = post_activity(person.user, type="metro", quantity=20).get_json()

    response = void(client, make, person.user, logged["id"])

    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["status"]) == (logged["id"], "voided")
    assert body["voided_at"] is not None
    assert account_of(session, person.user.id)[0] == 0
    reversal = session.query(LedgerEntry).filter_by(kind="adjust").one()
    assert (reversal.ref, reversal.delta) == (f"activity_void:{logged['id']}", -logged["points"])
    day = session.query(DailyContribution).filter_by(user_id=person.user.id).one()
    assert (day.co2e_g, day.points, day.entries) == (0, 0, 0)


def test_void_frees_the_days_cap(client, make, person, post_activity):
    logged = post_activity(person.user, type="clean_plate", quantity=3).get_json()
    void(client, make, person.user, logged["id"])

    again = post_activity(person.user, type="clean_plate", quantity=3).get_json()

    assert (again["capped"], again["co2e_saved_kg"]) == (False, 1.02)


def test_void_twice_is_409_already_voided(client, make, person, post_activity, session):
    logged = post_activity(person.user, type="walk", quantity=3).get_json()
    void(client, make, person.user, logged["id"])

    response = void(client, make, person.user, logged["id"])

    assert (response.status_code, response.get_json()["error"]["code"]) == (
        409, "activity_already_voided")
    assert session.query(LedgerEntry).count() == 2


def test_void_of_an_activity_logged_on_another_day_is_refused(clock, client, make, person, log_at):
    yesterday = log_at(person.user, "walk", 3, now=clock.now() - timedelta(days=1))

    response = void(client, make, person.user, yesterday.id)

    assert (response.status_code, response.get_json()["error"]["code"]) == (
        409, "activity_not_voidable")


def test_void_of_a_back_filled_entry_is_allowed_on_the_day_it_was_logged(client, make, person,
                                                                         post_activity, clock):
    occurred = (clock.now() - timedelta(days=3)).isoformat()
    logged = post_activity(person.user, type="walk", quantity=3, occurred_at=occurred)

    assert void(client, make, person.user, logged.get_json()["id"]).status_code == 200


def test_someone_elses_activity_is_404(client, make, person, post_activity):
    logged = post_activity(person.user, type="walk", quantity=3).get_json()
    colleague = make.user(person.org, person.team, role="admin")

    assert void(client, make, colleague, logged["id"]).status_code == 404


def test_void_after_the_points_were_spent_is_refused_and_says_why(clock, client, make, person,
                                                                  post_activity, session):
    logged = post_activity(person.user, type="metro", quantity=20).get_json()
    credit_points(session, user_id=person.user.id, org_id=person.org.id, team_id=None,
                  delta=-logged["points"], kind="redeem", source_type="redemption",
                  source_id="r1", now=clock.now())
    session.commit()

    response = void(client, make, person.user, logged["id"])
    english = client.delete(f"/api/v1/activities/{logged['id']}",
                            headers=make.headers(person.user, **{"Accept-Language": "en"}))

    assert (response.status_code, response.get_json()["error"]["code"]) == (
        409, "insufficient_points")
    assert "已被使用" in response.get_json()["error"]["message"]
    assert "already been spent" in english.get_json()["error"]["message"]
    assert session.get(Activity, logged["id"]).status == "accepted"


def test_voided_entry_stays_in_history(client, make, person, post_activity, session):
    logged = post_activity(person.user, type="walk", quantity=3).get_json()
    void(client, make, person.user, logged["id"])

    items = client.get("/api/v1/me/activities",
                       headers=make.headers(person.user)).get_json()["items"]

    assert [(i["id"], i["status"]) for i in items] == [(logged["id"], "voided")]
    usage = session.query(ActivityDailyUsage).one()
    assert usage.used_milli == 0


def test_the_batch_answer_is_its_schemas_dump_byte_for_byte(app, session, clock, registry,
                                                            person, post_activity):
    """The route builds its answer without marshmallow's walk (`batch_answer`): it must be
    exactly what its documented schema (BatchOut) dumps of the same results, for new
    entries (fractional, capped, noted), repeats within the batch, replays of stored
    entries and rejected items of both kinds."""
    from activities.logbook import log_batch
    from activities.schemas import BatchIn, BatchOut, batch_answer
    from app.openapi import documented_json

    assert post_activity(person.user, type="walk", quantity=3, client_id="seen").status_code == 201
    items = [{"type": "bus", "quantity": 2.5, "client_id": "a", "note": "上班 \"通勤\""},
             {"type": "bus", "quantity": 2.5, "client_id": "a", "note": "上班 \"通勤\""},
             {"type": "walk", "quantity": 3, "client_id": "seen"},
             {"type": "walk", "quantity": 15, "client_id": "to-the-cap"},
             {"type": "walk", "quantity": 4, "client_id": "capped"},
             {"type": "teleport", "quantity": 1, "client_id": "unknown"},
             {"type": "walk", "client_id": "no-quantity"},
             {"type": "metro", "quantity": 12.345}]
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        entries = BatchIn().load({"items": items})["items"]
        results = log_batch(session, person.user, entries, registry, clock.now())
        session.commit()
        sent = documented_json(batch_answer(results)).get_data(as_text=True)
        documented = app.json.dumps(BatchOut().dump({"results": results}),
                                    separators=(",", ":")) + "\n"
    assert [r.status for r in results] == ["created", "duplicate", "duplicate", "created",
                                           "created", "rejected", "rejected", "created"]
    assert results[4].activity.capped
    assert sent == documented
