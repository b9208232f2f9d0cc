"""Pure helpers of the fault drills (bench/drill_*.py): the figures they print."""

import json

from bench.drill_http import Job, percentile, raw_request
from bench.drill_stack import error_code


def test_percentile_is_nearest_rank():
    latencies = [float(n) for n in range(100, 0, -1)]  # 1..100, unordered
    assert percentile(latencies, 0.5) == 50.0
    assert percentile(latencies, 0.99) == 99.0
    assert percentile(latencies, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.99) == 0.0


def test_error_code_reads_only_our_error_shape():
    body = json.dumps({"error": {"code": "service_unavailable", "message": "m", "details": {}}})
    assert error_code(body.encode()) == "service_unavailable"
    assert error_code(b"<html>502 Bad Gateway</html>") is None
    assert error_code(b'{"id": 5}') is None
    assert error_code(b"[1, 2]") is None


def test_a_dropped_request_is_the_same_request_on_the_wire():
    job = Job("POST", "/api/v1/activities", "tok", {"type": "walk", "quantity": "1.5",
                                                     "client_id": "abc"})
    head, _, payload = raw_request(job, "127.0.0.1", 8000).partition(b"\r\n\r\n")
    assert json.loads(payload) == job.body
    assert b"Authorization: Bearer tok" in head.split(b"\r\n")
    assert f"Content-Length: {len(payload)}".encode() in head.split(b"\r\n")
