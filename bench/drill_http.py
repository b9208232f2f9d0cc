"""Paced HTTP load for the fault drills: threads, keep-alive http.client, nothing else.

Requests are started on a fixed schedule (job i at i / rate seconds), so a fault injected
at second t lands in the middle of the load whatever the server's speed, and a slow
server shows up as latency rather than as a shorter drill.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import queue
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.drill_stack import error_code

TIMEOUT_S = 20


@dataclass
class Job:
    method: str
    path: str
    token: str
    body: dict | None = None
    user_id: int | None = None
    # Drill 3: chance that the client loses the answer and sends the same request again.
    drop_probability: float = 0.0
    headers: dict | None = None  # e.g. Idempotency-Key


@dataclass
class Outcome:
    job: Job
    started: float  # seconds since the load started
    latency: float
    status: int | None  # None: no HTTP answer (connection refused, reset, timeout)
    code: str | None = None  # error.code of an error answer
    body: dict | None = None
    error: str | None = None
    dropped: int = 0  # answers the client threw away before this one

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400


@dataclass
class LoadResult:
    outcomes: list[Outcome] = field(default_factory=list)
    duration: float = 0.0

    def by_status(self) -> Counter:
        return Counter(o.status if o.status is not None else "no-answer"
                       for o in self.outcomes)

    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def _encode(job: Job, host: str, port: int) -> tuple[dict, bytes | None]:
    headers = {"Authorization": f"Bearer {job.token}", "Host": f"{host}:{port}",
               **(job.headers or {})}
    payload = None
    if job.body is not None:
        payload = json.dumps(job.body).encode()
        headers["Content-Type"] = "application/json"
    return headers, payload


def raw_request(job: Job, host: str, port: int) -> bytes:
    headers, payload = _encode(job, host, port)
    lines = [f"{job.method} {job.path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items()),
             f"Content-Length: {len(payload or b'')}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode() + (payload or b"")


def send_and_drop(job: Job, host: str, port: int, rng: random.Random) -> None:
    """Send the request and lose the answer: hang up at once, or once it starts arriving."""
    with socket.create_connection((host, port), timeout=TIMEOUT_S) as sock:
        sock.sendall(raw_request(job, host, port))
        if rng.random() < 0.5:
            sock.recv(1)  # the answer is on its way, so the server has done the work


class Client:
    """One keep-alive connection, reopened after any failure."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn: http.client.HTTPConnection | None = None

    def send(self, job: Job) -> tuple[int | None, bytes, str | None]:
        headers, payload = _encode(job, self.host, self.port)
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)
            self.conn.request(job.method, job.path, body=payload, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, data, None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return None, b"", exc.__class__.__name__

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _answer(client: Client, job: Job, rng: random.Random, host: str, port: int,
            t0: float) -> Outcome:
    """One job to its definitive answer (drill 3 retries until it has one)."""
    started = time.monotonic()
    dropped = 0
    while True:
        if job.drop_probability and rng.random() < job.drop_probability:
            with contextlib.suppress(OSError):
                send_and_drop(job, host, port, rng)
            dropped += 1
            continue
        status, data, error = client.send(job)
        if status is None and job.drop_probability and dropped < 20:
            dropped += 1  # a retrying client treats a lost connection like a lost answer
            continue
        break
    body = None
    if data:
        try:
            body = json.loads(data)
        except ValueError:
            body = None
    return Outcome(job, started - t0, time.monotonic() - started, status,
                   error_code(data) if status and status >= 400 else None, body, error, dropped)


@dataclass
class Fault:
    """An action run at `at` seconds into the load; when it really started and ended."""

    at: float
    label: str
    action: Callable[[], None]
    started: float | None = None
    ended: float | None = None
    error: str | None = None


def _run_faults(faults: list[Fault], t0: float) -> None:
    for fault in sorted(faults, key=lambda f: f.at):
        delay = t0 + fault.at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        fault.started = time.monotonic() - t0
        try:
            fault.action()
        except Exception as exc:  # noqa: BLE001 - reported with the drill's figures
            fault.error = str(exc)
        fault.ended = time.monotonic() - t0


def run_paced(jobs: list[Job], host: str, port: int, rate: float, threads: int,
              seed: int = 8, faults: list[Fault] | None = None) -> LoadResult:
    """Start job i at t0 + i/rate on a pool of `threads` clients, faults on their own
    schedule alongside; every outcome recorded."""
    pending: queue.Queue = queue.Queue()
    for index, job in enumerate(jobs):
        pending.put((index, job))
    outcomes: list[Outcome | None] = [None] * len(jobs)
    t0 = time.monotonic()

    def worker(n: int) -> None:
        client = Client(host, port)
        rng = random.Random(seed * 1000 + n)
        while True:
            try:
                index, job = pending.get_nowait()
            except queue.Empty:
                break
            delay = t0 + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            outcomes[index] = _answer(client, job, rng, host, port, t0)
        client.close()

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    if faults:
        pool.append(threading.Thread(target=_run_faults, args=(faults, t0), daemon=True))
    for thread in pool:
        thread.start()
    for thread in pool:
        while thread.is_alive():  # short joins keep Ctrl-C responsive
            thread.join(0.2)
    return LoadResult([o for o in outcomes if o is not None], time.monotonic() - t0)


def get_json(host: str, port: int, path: str, token: str) -> tuple[int | None, dict | None]:
    client = Client(host, port)
    status, data, _error = client.send(Job("GET", path, token))
    client.close()
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, None
