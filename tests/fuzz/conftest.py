"""Fixtures of the fuzz run: a local stand-in for WeChat that accepts any login code."""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class AnyCodeWeChat(BaseHTTPRequestHandler):
    """`/sns/jscode2session` that knows every code: one stable openid per code."""

    def do_GET(self):  # noqa: N802 - http.server's name
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        code = query.get("js_code", "")
        openid = "o" + hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()[:27]
        body = json.dumps({"openid": openid, "session_key": "fuzz-session-key"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")  # WeChat's own content type
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def any_code_wechat(app, monkeypatch):
    """Fuzzed WeChat logins reach a server on this machine, never the real WeChat."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), AnyCodeWeChat)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "WECHAT_API_BASE",
                        f"http://127.0.0.1:{server.server_address[1]}")
    yield
    server.shutdown()
    server.server_close()
