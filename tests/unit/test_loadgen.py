"""The bench's load generator: connections come and go as clients do."""

import socketserver
import threading

from bench.loadgen import http_request, run_load

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class CountingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.accepted = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), KeepAlive)


class KeepAlive(socketserver.StreamRequestHandler):
    def handle(self):
        with self.server.lock:
            self.server.accepted += 1
        while True:
            line = self.rfile.readline()
            if not line:
                return
            while line not in (b"\r\n", b""):
                line = self.rfile.readline()
            self.wfile.write(ANSWER)


def test_a_connection_is_opened_again_after_its_share_of_requests():
    with CountingServer() as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        request = http_request("GET", "/", f"127.0.0.1:{port}")
        result = run_load("127.0.0.1", port, lambda _n: request, connections=2,
                          duration_s=0.5, warmup_s=0, requests_per_connection=10)
        server.shutdown()
    answered = sum(result.statuses.values())
    assert result.failures == 0
    assert answered > 40
    # every 10 answers a new connection (the last ones of each may be cut by the deadline)
    assert server.accepted >= answered // 10
    assert server.accepted <= answered // 10 + 4
