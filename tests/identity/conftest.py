"""Fixtures of the identity tests: a people set-up, a stand-in for WeChat."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PASSWORD = "correct-horse-9"
SESSION_KEY = "SeSsIoNkEy-never-to-be-seen=="


@dataclass
class People:
    """One organisation with a team and a user of each role, another organisation, a coordinator."""

    org: object
    team: object
    staff: object
    organizer: object
    admin: object
    other_org: object
    other_team: object
    other_admin: object
    other_staff: object
    superadmin: object


@pytest.fixture
def people(make) -> People:
    org, other_org = make.org(region="beijing"), make.org(region="hebei", sector="hospital")
    team, other_team = make.team(org), make.team(other_org)
    return People(
        org=org, team=team,
        staff=make.user(org, team, "staff", password=PASSWORD),
        organizer=make.user(org, team, "organizer", password=PASSWORD),
        admin=make.user(org, team, "admin", password=PASSWORD),
        other_org=other_org, other_team=other_team,
        other_admin=make.user(other_org, other_team, "admin"),
        other_staff=make.user(other_org, other_team, "staff"),
        superadmin=make.user(None, None, "superadmin", password=PASSWORD),
    )


def login(client, username: str, password: str = PASSWORD, **headers):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WeChatStub(BaseHTTPRequestHandler):
    """`/sns/jscode2session`: the js_code says what to answer.

    `ok-<openid>` -> openid and session_key; `err-<errcode>` -> that errcode;
    `slow-<openid>` -> an answer after one second; `raw-<name>` -> a broken answer of RAW.
    """

    RAW = {"html": (502, b"<html>Bad Gateway</html>"), "list": (200, b"[1, 2]"),
           "text-errcode": (200, b'{"errcode": "oops"}'), "empty": (200, b"")}

    calls: list[dict] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.calls.append({"path": url.path, **query})
        kind, _, value = query.get("js_code", "").partition("-")
        if kind == "slow":
            time.sleep(1)
        status, body = self.RAW.get(value, (500, b"")) if kind == "raw" else (
            200, json.dumps(self.payload(url.path, kind, value)).encode())
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")  # WeChat's own content type
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    @staticmethod
    def payload(path: str, kind: str, value: str) -> dict:
        if path != "/sns/jscode2session":
            return {"errcode": -1, "errmsg": "system error"}
        if kind in ("ok", "slow"):
            return {"openid": value, "session_key": SESSION_KEY}
        return {"errcode": int(value or -1), "errmsg": "stub error"}

    def log_message(self, *_args):
        pass


@pytest.fixture
def wechat(app, monkeypatch):
    """A local jscode2session on a free port; the app's WECHAT_API_BASE points at it."""
    WeChatStub.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), WeChatStub)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "WECHAT_API_BASE",
                        f"http://127.0.0.1:{server.server_address[1]}")
    yield WeChatStub
    server.shutdown()
    server.server_close()
