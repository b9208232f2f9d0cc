"""GET /metrics: Prometheus text, the operator's network only, route templates, no person."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.config import parse_networks
from app.redis_store import RedisGateway
from tests.ops.conftest import free_port, sample


def scrape(client, address: str = "127.0.0.1"):
    return client.get("/metrics", environ_base={"REMOTE_ADDR": address})


def test_metrics_answer_prometheus_text_on_loopback(client):
    client.get("/healthz")
    response = scrape(client)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert "# TYPE lc_http_requests_total counter" in text
    assert 'lc_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "lc_http_request_duration_seconds_bucket" in text


@pytest.mark.parametrize("address", ["203.0.113.9", "10.1.2.3", "::ffff:8.8.8.8"])
def test_metrics_refuse_addresses_outside_the_default_allow_list(client, address):
    response = scrape(client, address)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_metrics_allow_list_is_a_setting(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ALLOW", parse_networks("10.0.0.0/8, fd00::/8"))
    assert scrape(client, "10.1.2.3").status_code == 200
    assert scrape(client, "fd00::5").status_code == 200
    assert scrape(client, "127.0.0.1").status_code == 403


def test_requests_are_labelled_by_route_template_never_by_id(client, make):
    org = make.org()
    user = make.user(org, make.team(org))
    client.get("/api/v1/rewards/987654", headers=make.headers(user))
    client.get("/no/such/path/55555")
    text = scrape(client).get_data(as_text=True)
    assert 'route="/api/v1/rewards/<int:reward_id>"' in text
    assert 'route="<unmatched>"' in text
    # Label values only: a sample's value (a sum of seconds) may hold any digits.
    values = {value for family in text_string_to_metric_families(text)
              for sample in family.samples for value in sample.labels.values()}
    assert not any("987654" in value or "55555" in value for value in values)


def test_no_metric_has_a_label_that_could_name_a_person(client, make):
    org = make.org()
    user = make.user(org, make.team(org))
    client.get("/api/v1/me", headers=make.headers(user))
    labels = {name
              for family in text_string_to_metric_families(scrape(client).get_data(as_text=True))
              if family.name.startswith("lc_")
              for sample in family.samples for name in sample.labels}
    assert labels <= {"route", "method", "status", "limit", "reason", "state", "le"}


def test_logged_activities_are_counted_once_replays_not(client, make):
    org = make.org()
    user = make.user(org, make.team(org))
    before = sample("lc_activities_logged_total")
    body = {"type": "metro", "quantity": "12", "client_id": uuid.uuid4().hex}
    first = client.post("/api/v1/activities", json=body, headers=make.headers(user))
    replay = client.post("/api/v1/activities", json=body, headers=make.headers(user))
    assert (first.status_code, replay.status_code) == (201, 201)
    assert sample("lc_activities_logged_total") == before + 1


def test_redemptions_are_counted_once_replays_not(client, make, session):
    from tests.points.helpers import add_reward, give_points, new_key, redeem

    org = make.org()
    user = make.user(org, make.team(org))
    give_points(session, user, 100)
    reward = add_reward(session, org, cost=30)
    before = sample("lc_redemptions_total")
    key = new_key()
    assert redeem(client, make, user, reward.id, key).status_code == 201
    assert redeem(client, make, user, reward.id, key).status_code == 201
    assert sample("lc_redemptions_total") == before + 1


def test_rate_limit_refusals_are_counted_by_limit_name_only(client, make, clock):
    clock.freeze()  # limits count in windows of the clock: stopped, none is straddled
    before = sample("lc_rate_limit_refusals_total", limit="login")
    refused = 0
    for _ in range(40):
        r = client.post("/api/v1/auth/login", json={"username": "mallory-x", "password": "nope"})
        refused += r.status_code == 429
    assert refused > 0
    assert sample("lc_rate_limit_refusals_total", limit="login") == before + refused
    assert "mallory" not in scrape(client).get_data(as_text=True)


def test_redis_fallbacks_and_recovery_are_counted():
    gateway = RedisGateway(f"redis://127.0.0.1:{free_port()}/0", cooldown_s=60)
    before = sample("lc_redis_fallbacks_total")
    assert gateway.run(lambda c: c.incr("x")) is None  # fails: connection refused
    assert gateway.run(lambda c: c.incr("x")) is None  # cooling down: not even tried
    assert sample("lc_redis_fallbacks_total") == before + 2


def test_redis_answering_again_counts_a_reconnect(redis_gateway):
    before = sample("lc_redis_reconnects_total")
    redis_gateway._was_down = True  # as after an outage
    assert redis_gateway.run(lambda c: c.ping())
    assert sample("lc_redis_reconnects_total") == before + 1


def test_database_pool_use_is_a_gauge(client):
    client.get("/readyz")
    text = scrape(client).get_data(as_text=True)
    assert 'lc_db_pool_connections{state="in_use"}' in text
    assert 'lc_db_pool_connections{state="idle"}' in text
