"""/readyz tells the balancer to stop sending before a node stops."""

from __future__ import annotations

import pytest

from app import lifecycle


@pytest.fixture
def draining():
    lifecycle.start_draining()
    yield
    lifecycle.stop_draining()


def test_readyz_is_ready_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] is True


@pytest.mark.usefixtures("draining")
def test_while_draining_readyz_is_503_and_other_requests_still_served(client):
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["error"]["details"] == {"checks": {"draining": True}}
    live = client.get("/healthz")
    assert live.status_code == 200
    assert live.headers["Connection"] == "close"  # keep-alive clients reconnect elsewhere
    assert client.get("/api/v1/activity-types").status_code == 401  # still answered


def test_not_draining_keeps_connections_alive(client):
    assert "Connection" not in client.get("/healthz").headers
