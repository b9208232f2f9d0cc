"""One JSON line per request and per error, each carrying the request's X-Request-ID."""

from __future__ import annotations

import re

import pytest


def test_a_caller_request_id_is_returned_and_logged(client, captured_log):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42:x_1"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42:x_1"
    (line,) = captured_log.requests()
    assert line["request_id"] == "lb-7f3a.42:x_1"


def test_a_request_without_id_gets_a_new_one_each_time(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize("unsafe", ["has space", "x" * 65, "<script>", "a\"b", "-leading",
                                    "中文编号"])
def test_an_unsafe_or_long_request_id_is_replaced(client, captured_log, unsafe):
    response = client.get("/healthz", headers={"X-Request-ID": unsafe})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    assert unsafe not in captured_log.text


def test_request_line_has_route_status_duration_user_and_org(client, make, captured_log):
    org = make.org()
    user = make.user(org, make.team(org))
    response = client.get("/api/v1/me", headers=make.headers(user, **{"X-Request-ID": "r-1"}))
    assert response.status_code == 200
    (line,) = [e for e in captured_log.requests() if e["request_id"] == "r-1"]
    assert line["route"] == "/api/v1/me"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["user_id"] == user.id
    assert line["org_id"] == org.id
    assert line["time"].endswith("+00:00")
    assert line["level"] == "info"


def test_error_answers_get_their_request_line_too(client, captured_log):
    response = client.get("/api/v1/me", headers={"X-Request-ID": "no-token"})
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "no-token"
    (line,) = [e for e in captured_log.requests() if e["request_id"] == "no-token"]
    assert line["status"] == 401
    assert "user_id" not in line


def test_an_unexpected_error_logs_its_stack_with_the_request_id(client, make, captured_log,
                                                              monkeypatch):
    from activities import routes

    def broken(*_args, **_kwargs):
        raise RuntimeError("summary exploded")

    monkeypatch.setattr(routes.summary, "summarise", broken)
    org = make.org()
    user = make.user(org, make.team(org))
    response = client.get("/api/v1/me/summary",
                          headers=make.headers(user, **{"X-Request-ID": "boom-1"}))
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert response.headers["X-Request-ID"] == "boom-1"
    lines = [e for e in captured_log.lines() if e.get("request_id") == "boom-1"]
    error = next(e for e in lines if e["level"] == "error")
    assert "RuntimeError: summary exploded" in error["stack"]
    assert error["route"] == "/api/v1/me/summary"
    assert error["user_id"] == user.id
    assert [e["status"] for e in lines if e["logger"] == "app.request"] == [500]


def test_every_line_of_a_request_carries_its_id(client, make, captured_log, monkeypatch):
    import logging

    from activities import routes

    real = routes.summary.summarise

    def chatty(*args, **kwargs):
        logging.getLogger("activities.summary").warning("two lines from inside a service")
        logging.getLogger("leaderboards").info("and another")
        return real(*args, **kwargs)

    monkeypatch.setattr(routes.summary, "summarise", chatty)
    org = make.org()
    user = make.user(org, make.team(org))
    before = len(captured_log.lines())  # the test's own setup may log too, outside a request
    client.get("/api/v1/me/summary", headers=make.headers(user, **{"X-Request-ID": "many"}))
    lines = captured_log.lines()[before:]
    assert len(lines) >= 3
    assert {e.get("request_id") for e in lines} == {"many"}


def test_bearer_tokens_are_blanked_even_if_some_code_logs_one(client, make, captured_log):
    import logging

    from app.request_log import scrub

    org = make.org()
    token = make.token(make.user(org, make.team(org)))
    logging.getLogger("careless").warning("header was Bearer %s", token)
    logging.getLogger("careless").warning("raw %s", token)
    assert token not in captured_log.text
    assert scrub(f"x {token} y") == "x [redacted] y"


def test_the_request_line_after_a_rolled_back_error_reads_nothing_more(client, make, app,
                                                                       captured_log):
    """The error handler rolls back (the user row expires); logging must not load it again:
    during a database outage that load would fail the request."""
    from sqlalchemy import event

    from app.extensions import db

    org = make.org()
    user = make.user(org, make.team(org))
    user_reads = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM users" in statement:
            user_reads.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post("/api/v1/rewards/999999/redeem",
                               headers=make.headers(user, **{"Idempotency-Key": "k-1",
                                                             "X-Request-ID": "gone"}))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 404
    (line,) = [e for e in captured_log.requests() if e["request_id"] == "gone"]
    assert (line["user_id"], line["org_id"], line["status"]) == (user.id, org.id, 404)
    assert len(user_reads) == 1  # the authentication's own read, nothing after the rollback
