"""A small HTTP/1.1 load generator (wrk is not on the machine): keep-alive sockets, asyncio.

`run_load` drives one target for a fixed time from a separate process (so the bench
driver, token minting and the server never share its event loop) over N connections,
and returns per-request latencies. Requests are bytes built by a factory called with a
running sequence number (unique client ids, rotating tokens); responses are read by
Content-Length. A server answering `Connection: close` (gunicorn's sync worker) is
reconnected after each response, as a browser would. A connection is also closed and
opened again after `requests_per_connection` answers (default 100), as clients come and
go and a balancer retires its pooled connections: which worker process accepted a
connection then decides a scenario's rate for a moment, not for the whole run.

Also here: `trivial_server`, a fixed-answer asyncio server, to measure this
generator's own ceiling on the machine.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

RequestFactory = Callable[[int], bytes]


def http_request(method: str, path: str, host: str, headers: dict[str, str] | None = None,
                 body: object | None = None) -> bytes:
    """One request's bytes (JSON body when given)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    payload = b""
    if body is not None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    elif method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: 0")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class LoadResult:
    """What one timed run saw. Latencies in milliseconds, warm-up excluded."""

    duration_s: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    failures: int  # connection errors and unexpected statuses (in the window)
    sample_failure: str = ""
    marked: int = 0  # occurrences of the count marker in measured bodies
    extra: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def rps(self) -> float:
        return self.ok / self.duration_s if self.duration_s else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    body = await reader.readexactly(length) if length else b""
    return status, close, body


class _Tally:
    """What the connections saw inside the measured window."""

    def __init__(self, measure_from: float, stop_at: float, expect: frozenset[int],
                 marker: bytes | None):
        self.measure_from, self.stop_at = measure_from, stop_at
        self.expect, self.marker = expect, marker
        self.latencies = array("d")
        self.statuses: Counter[int] = Counter()
        self.failures, self.sample, self.marked = 0, "", 0

    def answered(self, sent: float, done: float, status: int, body: bytes) -> None:
        if sent < self.measure_from or done > self.stop_at:
            return
        self.latencies.append((done - sent) * 1000)
        self.statuses[status] += 1
        if self.marker:
            self.marked += body.count(self.marker)
        if status not in self.expect:
            self.failed(f"{status} {body[:300]!r}")

    def failed(self, what: str) -> None:
        self.failures += 1
        self.sample = self.sample or what


async def _drive(host: str, port: int, factory: RequestFactory, connections: int,
                 warmup_s: float, duration_s: float, expect: frozenset[int],
                 marker: bytes | None, requests_per_connection: int) -> dict:
    counter = iter(range(1 << 62))
    loop = asyncio.get_running_loop()
    start = loop.time()
    tally = _Tally(start + warmup_s, start + warmup_s + duration_s, expect, marker)

    async def connection() -> None:
        reader = writer = None
        answered = 0
        while loop.time() < tally.stop_at:
            request = factory(next(counter))
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                sent = loop.time()
                writer.write(request)
                status, close, body = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                tally.failed(repr(exc))
                close, status = True, 0
                await asyncio.sleep(0.01)
            if status:
                tally.answered(sent, loop.time(), status, body)
                answered += 1
            if (close or answered >= requests_per_connection) and writer is not None:
                writer.close()
                reader = writer = None
                answered = 0
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return {"latencies": tally.latencies.tobytes(), "statuses": dict(tally.statuses),
            "failures": tally.failures, "sample": tally.sample, "marked": tally.marked}


def _child(conn, args) -> None:
    try:
        conn.send(asyncio.run(_drive(*args)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises
        conn.send({"error": repr(exc)})
    finally:
        conn.close()


def run_load(host: str, port: int, factory: RequestFactory, *, connections: int,
             duration_s: float, warmup_s: float = 1.0,
             expect: frozenset[int] = frozenset({200, 201}),
             count_marker: bytes | None = None,
             requests_per_connection: int = 100) -> LoadResult:
    """Drive `factory`'s requests at host:port from a forked process; return what it saw."""
    ctx = multiprocessing.get_context("fork")  # the factory is a closure: inherit, not pickle
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(child, (host, port, factory, connections,
                                                       warmup_s, duration_s, expect,
                                                       count_marker,
                                                       requests_per_connection)))
    process.start()
    child.close()
    try:
        if not parent.poll(warmup_s + duration_s + 60):
            raise RuntimeError("load generator did not finish")
        outcome = parent.recv()
    finally:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
    if "error" in outcome:
        raise RuntimeError(f"load generator failed: {outcome['error']}")
    latencies = array("d")
    latencies.frombytes(outcome["latencies"])
    return LoadResult(duration_s, latencies.tolist(), outcome["statuses"], outcome["failures"],
                      outcome["sample"], outcome["marked"])


# --- the generator's own ceiling ---------------------------------------------------------

_FIXED = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
          b"\r\n{\"ok\":true}")


async def _serve_fixed(port: int, ready) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                writer.write(_FIXED)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    ready.set()
    async with server:
        await server.serve_forever()


def _fixed_server_main(port: int, ready) -> None:
    asyncio.run(_serve_fixed(port, ready))


class trivial_server:  # noqa: N801 - used as a context manager, like open()
    """A fixed-answer HTTP server in its own process (the generator's ceiling target)."""

    def __init__(self, port: int):
        self.port = port
        ctx = multiprocessing.get_context("fork")
        self.ready = ctx.Event()
        self.process = ctx.Process(target=_fixed_server_main, args=(port, self.ready),
                                   daemon=True)

    def __enter__(self) -> trivial_server:
        self.process.start()
        if not self.ready.wait(10):
            raise RuntimeError("trivial server did not start")
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.join(5)


def ceiling(port: int, connections: int, duration_s: float) -> LoadResult:
    """Requests per second this generator manages against an answer that costs nothing."""
    request = http_request("GET", "/", f"127.0.0.1:{port}",
                           {"Authorization": "Bearer " + "x" * 200})
    with trivial_server(port):
        started = time.perf_counter()
        result = run_load("127.0.0.1", port, lambda _n: request, connections=connections,
                          duration_s=duration_s, warmup_s=0.5)
        result.extra["wall_s"] = time.perf_counter() - started
    return result
