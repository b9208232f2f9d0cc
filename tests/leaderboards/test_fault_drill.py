"""Fault drill: Redis stops during logging and comes back empty; nobody runs a command."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
import redis

from leaderboards.service import BoardRequest, read_board
from leaderboards.store import is_ready
from tests.leaderboards.conftest import redis_boards_equal_sql

DEADLINE_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server this test owns, so it can be stopped and started again."""

    def __init__(self):
        self.port = _free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def drill_app(make_app, monkeypatch, redis_gateway):
    """A second app on the same database, with its own Redis, checking boards again after 1 s."""
    server = PrivateRedis()
    server.start()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{server.port}/0")
    monkeypatch.setenv("LEADERBOARD_RECONCILE_SECONDS", "1")
    drill = make_app()
    yield drill, server
    drill.extensions["board_upkeep"].stop()
    server.stop()



def _wait_until_healed(drill, session, gateway, viewer) -> float:
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_S:
        with drill.app_context():  # read as a request of the drill's app does
            healed = is_ready(gateway) and redis_boards_equal_sql(session, gateway, viewer)
        if healed:
            return time.monotonic() - started
        session.rollback()
        time.sleep(0.5)
    raise AssertionError(f"boards did not match the database within {DEADLINE_S} s")


@pytest.mark.concurrency  # a second app's upkeep thread reads what the test commits
def test_redis_outage_loses_no_activity_and_boards_heal_by_themselves(
        drill_app, session, make, clock):
    from app.redis_store import get_gateway

    drill, server = drill_app
    gateway = get_gateway(drill)
    client = drill.test_client()
    org = make.org(region="tianjin")
    team_a, team_b = make.team(org), make.team(org)
    people = make.users(50, org, team_a) + make.users(50, org, team_b)
    assert client.get("/healthz").status_code == 200  # the first request checks the boards
    _wait_until_healed(drill, session, gateway, people[0])

    server.stop()
    slowest = 0.0
    for n, person in enumerate(people):
        started = time.monotonic()
        response = client.post("/api/v1/activities", json={"type": "walk", "quantity": 1 + n % 5},
                               headers=make.headers(person))
        slowest = max(slowest, time.monotonic() - started)
        assert response.status_code == 201, response.get_json()
    assert slowest < 1.0
    board = client.get("/api/v1/leaderboards/teams", query_string={"period": "all"},
                       headers=make.headers(people[0])).get_json()
    truth = read_board(session, None, people[0], BoardRequest("teams", period="all"), clock.now())
    assert board["entries"] == truth.entries
    assert sum(e["value"] for e in board["entries"]) > 0

    server.start()  # empty: everything it had is gone
    _wait_until_healed(drill, session, gateway, people[0])

    gateway.client.flushall()
    _wait_until_healed(drill, session, gateway, people[0])
