"""Corrections as versions, submission for review, approval that locks, return, restatement."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from energy.models import EnergyReadingVersion
from tests.energy.conftest import error_code


@pytest.fixture
def reading(post_reading):
    response = post_reading(carrier="electricity", period="2024-04", quantity=1000, unit="kWh",
                            cost_yuan=800)
    assert response.status_code == 201
    return response.get_json()


def patch(client, institution, reading_id, **body):
    return client.patch(f"/api/v1/energy/readings/{reading_id}", json=body,
                        headers=institution.headers)


def submit(client, institution, period):
    return client.post(f"/api/v1/orgs/{institution.id}/energy/submissions",
                       json={"period": period}, headers=institution.headers)


def test_correction_is_a_new_version_and_history_keeps_both(client, institution, reading):
    response = patch(client, institution, reading["id"], quantity=1.2, unit="MWh",
                     reason="抄表错误 (meter misread)")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["quantity"], body["unit"], body["kgce"], body["version"]) == (
        1.2, "MWh", 147.48, 2)
    assert body["cost_yuan"] == 800  # kept when not sent
    history = client.get(f"/api/v1/energy/readings/{reading['id']}/history",
                         headers=institution.headers).get_json()["items"]
    assert [(v["version"], v["quantity"], v["unit"], v["reason"]) for v in history] == [
        (1, 1000, "kWh", None), (2, 1.2, "MWh", "抄表错误 (meter misread)")]
    assert history[1]["actor"]["id"] == institution.admin.id
    assert history[1]["restatement"] is False


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_correction_without_reason_is_refused(client, institution, reading, session, reason):
    body = {"quantity": 5}
    if reason is not None:
        body["reason"] = reason
    response = patch(client, institution, reading["id"], **body)
    assert response.status_code == 422
    assert error_code(response) in ("reason_required", "validation_error")
    assert session.scalar(select(func.count()).select_from(EnergyReadingVersion)) == 1


def test_correction_with_bad_values_changes_nothing(client, institution, reading):
    for body, code in (({"quantity": -5}, "quantity_out_of_range"),
                       ({"quantity": 5, "unit": "m3"}, "unit_mismatch")):
        response = patch(client, institution, reading["id"], reason="x", **body)
        assert (response.status_code, error_code(response)) == (422, code)
    history = client.get(f"/api/v1/energy/readings/{reading['id']}/history",
                         headers=institution.headers).get_json()["items"]
    assert len(history) == 1


def test_another_organisations_reading_is_404(client, member, reading):
    headers = member().headers
    assert client.patch(f"/api/v1/energy/readings/{reading['id']}", headers=headers,
                        json={"quantity": 1, "reason": "x"}).status_code == 404
    assert client.get(f"/api/v1/energy/readings/{reading['id']}/history",
                      headers=headers).status_code == 404


def test_submitted_period_is_read_only_until_reviewed(client, institution, reading, coordinator,
                                                      post_reading):
    response = submit(client, institution, "2024-04")
    assert response.status_code == 201, response.get_json()
    submission = response.get_json()
    assert (submission["period"], submission["status"]) == ("2024-04", "submitted")
    edit = patch(client, institution, reading["id"], quantity=5, reason="x")
    assert (edit.status_code, error_code(edit)) == (409, "period_submitted")
    added = post_reading(carrier="water", period="2024-04", quantity=1, unit="m3")
    assert (added.status_code, error_code(added)) == (409, "period_submitted")
    again = submit(client, institution, "2024-04")
    assert (again.status_code, error_code(again)) == (409, "period_submitted")

    returned = client.post(f"/api/v1/energy/submissions/{submission['id']}/return",
                           json={"comment": "4月电量偏低，请核对"}, headers=coordinator)
    assert returned.status_code == 200
    assert (returned.get_json()["status"], returned.get_json()["comment"]) == (
        "returned", "4月电量偏低，请核对")
    assert patch(client, institution, reading["id"], quantity=1100, reason="核对后更正"
                 ).status_code == 200


def test_approval_locks_and_a_correction_becomes_a_restatement(client, institution, reading,
                                                               coordinator):
    submission = submit(client, institution, "2024").get_json()
    approved = client.post(f"/api/v1/energy/submissions/{submission['id']}/approve",
                           headers=coordinator)
    assert approved.get_json()["status"] == "approved"
    listed = client.get(f"/api/v1/orgs/{institution.id}/energy/readings?year=2024",
                        headers=institution.headers).get_json()["items"]
    assert listed[0]["status"] == "approved"
    twice = client.post(f"/api/v1/energy/submissions/{submission['id']}/approve",
                        headers=coordinator)
    assert (twice.status_code, error_code(twice)) == (409, "submission_not_pending")
    resubmit = submit(client, institution, "2024-04")
    assert (resubmit.status_code, error_code(resubmit)) == (409, "period_approved")

    no_reason = patch(client, institution, reading["id"], quantity=900)
    assert no_reason.status_code == 422
    restated = patch(client, institution, reading["id"], quantity=900, reason="审计调整")
    assert restated.status_code == 200
    body = restated.get_json()
    assert (body["restated"], body["status"], body["quantity"]) == (True, "approved", 900)
    history = client.get(f"/api/v1/energy/readings/{reading['id']}/history",
                         headers=institution.headers).get_json()["items"]
    assert [(v["quantity"], v["restatement"]) for v in history] == [(1000, False),
                                                                     (900, True)]


def test_submitting_an_empty_period_is_refused(client, institution):
    response = submit(client, institution, "2024-09")
    assert (response.status_code, error_code(response)) == (422, "nothing_to_submit")


@pytest.mark.parametrize("period", ["0000", "6347", "2024-00", "2024-13"])
def test_submitting_a_period_outside_the_ledger_is_422(client, institution, period):
    response = submit(client, institution, period)  # found by the fuzzer: was a 500
    assert (response.status_code, error_code(response)) == (422, "validation_error")
    assert "period" in response.get_json()["error"]["details"]


def test_review_queue_is_the_coordinators(client, institution, reading, coordinator):
    submit(client, institution, "2024-04")
    assert client.get("/api/v1/energy/submissions", headers=institution.headers
                      ).status_code == 403
    queue = client.get("/api/v1/energy/submissions?status=submitted&region=tianjin",
                       headers=coordinator).get_json()
    assert [s["period"] for s in queue["items"]] == ["2024-04"]
    elsewhere = client.get("/api/v1/energy/submissions?region=beijing",
                           headers=coordinator).get_json()
    assert elsewhere["items"] == []
    assert client.post("/api/v1/energy/submissions/1/approve", headers=institution.headers
                       ).status_code == 403
