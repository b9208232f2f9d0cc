"""gunicorn with gunicorn.conf.py: metrics summed over workers, drain on TERM, bad config."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ops.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

pytestmark = pytest.mark.concurrency


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start(tmp_path, **env) -> tuple[subprocess.Popen, int]:
    port = free_port()
    metrics_dir = tmp_path / "metrics"  # the operator's directory: a killed test leaves nothing
    metrics_dir.mkdir(exist_ok=True)
    environment = {**os.environ, "APP_ENV": "development",
                   "DATABASE_URL": f"sqlite:///{tmp_path}/g.db", "WEB_CONCURRENCY": "2",
                   "GUNICORN_THREADS": "2", "READINESS_DRAIN_SECONDS": "2",
                   "LEADERBOARD_RECONCILE_SECONDS": "0",
                   "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), **env}
    for name in ("REDIS_URL", "ACCESS_LOG"):
        environment.pop(name, None)
    with open(tmp_path / "gunicorn.log", "ab") as log:  # a file: a pipe could fill and block
        process = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
             "app:create_app()"], cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT)
    return process, port


def wait_ready(process, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()
        try:
            if get(port, "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn never became ready")


@pytest.fixture
def served(tmp_path):
    process, port = start(tmp_path)
    try:
        wait_ready(process, port, tmp_path / "gunicorn.log")
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_a_scrape_sums_the_requests_of_every_worker(served):
    _process, port = served
    for _ in range(30):
        assert get(port, "/healthz")[0] == 200
    status, body = get(port, "/metrics")
    assert status == 200
    line = next(x for x in body.decode().splitlines()
                if x.startswith('lc_http_requests_total{method="GET",route="/healthz"'))
    assert float(line.rsplit(" ", 1)[1]) == 30


def test_term_turns_readiness_off_first_then_stops(served):
    process, port = served
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert get(port, "/readyz")[0] == 503  # the balancer stops sending
    assert get(port, "/healthz")[0] == 200  # requests that still arrive are served
    assert process.wait(timeout=20) == 0
    with pytest.raises(ConnectionRefusedError):
        get(port, "/healthz")


def test_a_bad_configuration_stops_the_start_with_one_line_each(tmp_path):
    process, _port = start(tmp_path, APP_ENV="production", SECRET_KEY="too-short",
                           DATABASE_URL="mysql://nowhere/x")
    assert process.wait(timeout=30) != 0
    output = (tmp_path / "gunicorn.log").read_text()
    assert "  - SECRET_KEY must be at least 32 characters" in output
    assert "  - DATABASE_URL must be a postgresql or sqlite URL" in output
    assert "Traceback" not in output
