"""A private service stack for the fault drills: its own PostgreSQL, Redis and gunicorn.

The machine's shared PostgreSQL and Redis serve everyone's tests, so a drill that kills
or restarts a dependency must own it: a throwaway cluster (initdb into a temp dir, run as
the `postgres` OS user when we are root, since initdb refuses root), a redis-server
without persistence and gunicorn on free ports. `Stack.close` removes all of it, and it
runs on any exit of `python -m bench.drills` (failure, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECRET_KEY = "drill-secret-key-long-enough-for-hs256-signing"
DATABASE = "drill"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout_s: float, what: str, interval_s: float = 0.1) -> float:
    """Poll `check` until it is true; seconds waited, or RuntimeError naming `what`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return time.monotonic() - started
        time.sleep(interval_s)
    raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {name} not found (apt install postgresql)")
    return path


def _as_postgres(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; drop to the postgres user for them.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@dataclass
class PrivatePostgres:
    """A throwaway cluster: trust auth, fsync off (a crashed process loses nothing the OS
    has; synchronous_commit stays on so an acknowledged commit survives an immediate stop)."""

    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run([_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                   "-E", "UTF8", "--no-sync", "--locale=C"])
        self.start()
        self._run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                   "-U", "postgres", DATABASE])

    def _server_args(self) -> list[str]:
        # -l always: without it the server would keep our pipes open and pg_ctl never return.
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200")
        return ["-D", str(self.data), "-o", options, "-l", str(self.root / "postgres.log"),
                "-w", "-t", "60"]

    def start(self) -> None:
        self._run([_pg_bin("pg_ctl"), *self._server_args(), "start"])

    def restart(self, mode: str = "fast") -> None:
        """pg_ctl restart: sessions are terminated, the server comes back on its options."""
        self._run([_pg_bin("pg_ctl"), *self._server_args(), "-m", mode, "restart"])

    def stop(self, mode: str = "fast") -> None:
        self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(_as_postgres(argv), capture_output=True, text=True, cwd=self.root,
                              timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:1])} failed: {done.stderr.strip()[-500:]}")


@dataclass
class PrivateRedis:
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise RuntimeError("redis-server not found (apt install redis-server)")
        log = open(self.root / "redis.log", "ab")  # noqa: SIM115 - the process keeps it
        self.process = subprocess.Popen(
            [redis_server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_until(self.ping, 10, "redis-server")

    def kill(self) -> None:
        """SIGKILL: no goodbye, and (without persistence) every key is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@dataclass
class Gunicorn:
    root: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.root / "gunicorn.log"

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the process keeps it
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}", "app:create_app()"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        wait_until(self.ready, 90, "gunicorn /readyz", interval_s=0.3)

    def ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {self.log_path}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/readyz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Stack:
    """PostgreSQL + Redis + gunicorn of our own; `close` leaves nothing behind."""

    def __init__(self, reconcile_s: float = 15.0, keep: bool = False):
        self.root = Path(tempfile.mkdtemp(prefix="lc-drills-"))
        os.chmod(self.root, 0o755)
        self.keep = keep
        self.postgres = PrivatePostgres(self.root)
        self.redis = PrivateRedis(self.root)
        self.reconcile_s = reconcile_s
        self.web: Gunicorn | None = None

    def app_env(self) -> dict[str, str]:
        return {
            "APP_ENV": "production", "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": self.postgres.url, "REDIS_URL": self.redis.url,
            "REDIS_PREFIX": "lc:", "ACCESS_TOKEN_TTL": "3600",
            "LEADERBOARD_RECONCILE_SECONDS": str(self.reconcile_s),
            # No balancer in front: nothing to drain before a stop.
            "READINESS_DRAIN_SECONDS": "0",
        }

    def start_dependencies(self) -> None:
        self.postgres.init()
        self.redis.start()

    def start_web(self) -> None:
        env = {**os.environ, **self.app_env(), "FLASK_APP": "app"}
        env.pop("ACCESS_LOG", None)
        self.web = Gunicorn(self.root, env)
        self.web.start()

    @property
    def base(self) -> tuple[str, int]:
        assert self.web is not None
        return "127.0.0.1", self.web.port

    def close(self) -> None:
        tear_down([lambda: self.web and self.web.stop(), self.redis.kill,
                   lambda: self.postgres.running() and self.postgres.stop("immediate")],
                  self.root, self.keep)


def tear_down(steps, root: Path, keep: bool) -> None:
    """Run every stop step whatever the others do, then remove (or keep) the temp dir."""
    for step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - clean up the rest regardless
            print(f"cleanup: {exc}")
    if keep:
        print(f"kept {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


def error_code(body: bytes) -> str | None:
    """The `error.code` of an error body, or None when it is not our error shape."""
    try:
        data = json.loads(body)
        return data["error"]["code"] if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError):
        return None
