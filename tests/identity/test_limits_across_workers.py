"""Rate limits hold across worker processes without Redis: gunicorn with 3 workers on the
suite's database (SQLite file or PostgreSQL), no REDIS_URL, hit from several threads at once.

Counted per process, 25 wrong logins for one name got up to 30 answers of 401 instead of 10.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.identity.conftest import PASSWORD, free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.concurrency


@pytest.fixture(scope="module")
def server(app, database_url):
    """gunicorn, 3 workers, no Redis; stopped (and its workers) when the test ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({"DATABASE_URL": database_url, "APP_ENV": "testing",
                "SECRET_KEY": app.config["SECRET_KEY"],
                "CLOCK_START": app.extensions["clock"].now().isoformat(),
                "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "2",
                "LEADERBOARD_RECONCILE_SECONDS": "0",
                # No load balancer to tell: stop without the readiness drain.
                "READINESS_DRAIN_SECONDS": "0"})
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_up(port, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode()[-2000:])
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def request(port: int, method: str, path: str, body: dict | None = None,
            headers: dict | None = None) -> tuple[int, dict]:
    """One request on its own connection, so the kernel hands it to any worker."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json", "Connection": "close",
                              **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


def in_parallel(count: int, call) -> list[int]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        return sorted(pool.map(lambda n: call(n)[0], range(count)))


def test_wrong_logins_for_one_name_are_limited_across_workers(server, people):
    statuses = in_parallel(25, lambda _n: request(server, "POST", "/api/v1/auth/login", {
        "username": people.staff.username, "password": "wrong-guess-123"}))
    assert statuses.count(401) == 10
    assert statuses.count(429) == 15


def test_spraying_many_names_from_one_address_is_limited_across_workers(server, people):
    statuses = in_parallel(36, lambda n: request(server, "POST", "/api/v1/auth/login", {
        "username": f"someone{n}", "password": "wrong-guess-123"}))
    assert statuses.count(401) == 30
    assert statuses.count(429) == 6


def test_logging_requests_are_limited_across_workers(server, make, people):
    headers = make.headers(people.staff)
    # The limit counts before the body is read: empty bodies (422) count all the same.
    statuses = in_parallel(35, lambda _n: request(server, "POST", "/api/v1/activities", {},
                                                  headers))
    assert statuses.count(422) == 30
    assert statuses.count(429) == 5


def test_a_chunked_body_over_64_kib_answers_413(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    try:
        conn.putrequest("POST", "/api/v1/auth/login")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        body = b'{"username": "' + b"x" * (70 * 1024) + b'", "password": "p"}'
        for start in range(0, len(body), 8192):
            chunk = body[start:start + 8192]
            conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        payload = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 413
    assert payload["error"]["code"] == "payload_too_large"


def test_the_right_password_still_logs_in_below_the_limits(server, people):
    status, body = request(server, "POST", "/api/v1/auth/login",
                           {"username": people.staff.username, "password": PASSWORD})
    assert status == 200
    assert body["user"]["id"] == people.staff.id
