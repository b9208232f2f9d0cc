"""Benchmark baselines: served only by the bench's app, token required, no table in the schema."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select


@pytest.fixture
def bench_app(app):
    from app.extensions import db
    from bench.probe import create_app

    application = create_app()
    application.extensions["clock"] = app.extensions["clock"]  # tokens are issued on it
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def staff(make):
    org = make.org()
    return make.user(org, make.team(org))


def test_json_baseline_answers_a_token_holder_without_the_database(bench_app, make, staff):
    response = bench_app.test_client().get("/_probe/json", headers=make.headers(staff))
    assert response.status_code == 200
    assert response.get_json()["user_id"] == staff.id


@pytest.mark.concurrency
def test_commit_baseline_stores_one_row_per_request_in_the_benchs_own_table(
        bench_app, make, staff, engine):
    from bench.probe import create_probe_table, drop_probe_table, probe_writes

    create_probe_table(engine)
    try:
        client = bench_app.test_client()
        for _ in range(2):
            response = client.post("/_probe/commit", headers=make.headers(staff))
            assert response.status_code == 201
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(probe_writes)
                               .where(probe_writes.c.user_id == staff.id)) == 2
    finally:
        drop_probe_table(engine)


def test_baselines_refuse_a_request_without_a_token(bench_app):
    client = bench_app.test_client()
    for method, path in (("get", "/_probe/json"), ("post", "/_probe/commit")):
        response = getattr(client, method)(path)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_the_service_has_no_baselines_and_no_probe_table(client, make, staff, engine):
    headers = make.headers(staff)
    assert client.get("/_probe/json", headers=headers).status_code == 404
    assert client.post("/_probe/commit", headers=headers).status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not [p for p in paths if "_probe" in p]
    assert not [t for t in inspect(engine).get_table_names() if "probe" in t]
