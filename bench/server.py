"""Start and stop the real server for benchmarks and drills: gunicorn on loopback.

`served(env, ...)` runs `.venv/bin/gunicorn -c gunicorn.conf.py "app:create_app()"` (or
another app target, e.g. the bench's `bench.probe:create_app()`) in its own process
group, waits until /healthz answers, and on exit (or Ctrl-C) stops the whole group:
SIGTERM, then SIGKILL after a grace period, so no worker outlives the bench.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class ServerSetup:
    workers: int
    worker_class: str = "gthread"
    threads: int = 4

    def label(self) -> str:
        threads = f" x{self.threads} threads" if self.worker_class == "gthread" else ""
        return f"{self.workers} {self.worker_class} workers{threads}"


@dataclass
class RunningServer:
    host: str
    port: int
    process: subprocess.Popen
    setup: ServerSetup

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def _wait_healthy(host: str, port: int, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), 1) as s:
            s.sendall(request)
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def stop(process: subprocess.Popen, grace_s: float = 10) -> None:
    """Stop gunicorn and every process of its group."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def served(env: dict[str, str], setup: ServerSetup, *, port: int | None = None,
           log_path: Path | None = None, host: str = "127.0.0.1",
           start_timeout_s: float = 60,
           app_target: str = "app:create_app()") -> Iterator[RunningServer]:
    """gunicorn serving `app_target` with `env` on host:port for the duration of the block."""
    port = port or free_port()
    args = [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"{host}:{port}",
            "--workers", str(setup.workers), "--worker-class", setup.worker_class,
            "--threads", str(setup.threads), app_target]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=log,
                               start_new_session=True)
    try:
        _wait_healthy(host, port, process, start_timeout_s)
        yield RunningServer(host, port, process, setup)
    finally:
        stop(process)
        if log_path:
            log.close()
