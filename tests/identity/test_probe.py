"""Benchmark baselines: served with PROBE_ENDPOINTS only, token required, nothing else exposed."""

from __future__ import annotations

from sqlalchemy import func, select


def test_json_baseline_answers_a_token_holder_without_the_database(make_app, make, people):
    client = make_app({"PROBE_ENDPOINTS": True}).test_client()
    response = client.get("/_probe/json", headers=make.headers(people.staff))
    assert response.status_code == 200
    assert response.get_json()["user_id"] == people.staff.id


def test_commit_baseline_stores_one_row_per_request(make_app, make, people, session):
    from app.probe import ProbeWrite

    client = make_app({"PROBE_ENDPOINTS": True}).test_client()
    for _ in range(2):
        assert client.post("/_probe/commit", headers=make.headers(people.staff)).status_code == 201
    assert session.scalar(select(func.count()).select_from(ProbeWrite)
                          .where(ProbeWrite.user_id == people.staff.id)) == 2


def test_baselines_refuse_a_request_without_a_token(make_app):
    client = make_app({"PROBE_ENDPOINTS": True}).test_client()
    for method, path in (("get", "/_probe/json"), ("post", "/_probe/commit")):
        response = getattr(client, method)(path)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_baselines_do_not_exist_without_the_setting(client, make, people):
    headers = make.headers(people.staff)
    assert client.get("/_probe/json", headers=headers).status_code == 404
    assert client.post("/_probe/commit", headers=headers).status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not [p for p in paths if "_probe" in p]
