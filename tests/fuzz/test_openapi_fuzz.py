"""Schemathesis fuzzes every operation of the app's own OpenAPI document, as staff and as admin.

The document is read from the app at run time, so routes added later are fuzzed without
touching this file. Schemathesis' engine runs its examples, coverage (boundaries, missing and
wrong values, other methods, no or a broken token) and fuzzing phases, derandomised with a
fixed seed and a bounded number of examples per operation. Every response must be no server
error, carry a documented status and content type, and match its documented schema (errors
included). A finding is fixed in the app and pinned by a plain regression test in its area.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from schemathesis.engine import from_schema
from schemathesis.engine.events import FatalError, NonFatalError, ScenarioFinished

SPEC_PATH = "/api/v1/openapi.json"
SEED = 20261130
# An admin reaches every operation's body; a member of staff is refused most of the admin
# ones at the door, and the operations staff may call an admin calls too: the staff run
# needs fewer examples to reach what only it exercises (its refusals, its own data).
EXAMPLES_PER_OPERATION = {"admin": 15, "staff": 8}
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
# Fixed-window limits would answer repeated inputs 429 or not depending on the clock.
RATE_LIMITS = ("app.routes.LOGIN_ATTEMPTS_PER_MINUTE", "app.routes.LOGIN_FAILURES_PER_ADDRESS",
               "app.routes.PASSWORD_CHANGES_PER_WINDOW",
               "activities.routes.LOG_REQUESTS_PER_WINDOW",
               "reports.routes.DISCLOSURE_REQUESTS_PER_WINDOW",
               "energy.routes.PUBLIC_REQUESTS_PER_WINDOW")


def fuzz_config(headers: dict[str, str], org_id: int, colleague_id: int,
                examples: int) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": SEED,
        # Nothing kept between runs (.schemathesis/ would replay earlier inputs): the same each run.
        "cache": {"enabled": False},
        "generation": {"deterministic": True, "max-examples": examples,
                       "database": "none"},
        "headers": headers,
        # Stateful chains would double the time; each operation is still fuzzed on its own.
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        # Aim the organisation's routes at the caller's own organisation, and the per-person
        # routes at a colleague: an admin who demoted themselves would test nothing after.
        "parameters": {"path.org_id": org_id, "path.user_id": colleague_id},
    })


def seed_world(client, make, org, team, caller) -> None:
    """Through the API: a reward, points, a running campaign with an open day, an activity and
    a redemption of the caller, so that lists answer something and their ids feed the fuzzer."""
    host = make.headers(make.user(org, team, "admin"))
    now = make.clock.now()

    def call(method: str, path: str, body: dict | None, headers: dict, status: int) -> dict:
        response = client.open(f"/api/v1{path}", method=method, json=body, headers=headers)
        assert response.status_code == status, (path, response.get_json())
        return response.get_json()

    reward = call("POST", "/rewards", {"name": "环保水杯", "cost_points": 10, "stock": 5},
                  host, 201)
    call("POST", f"/orgs/{org.id}/points-adjustments",
         {"user_id": caller.id, "delta": 500, "reason": "fuzz"}, host, 201)
    campaign = call("POST", "/campaigns", {
        "name": "节能宣传周", "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(), "multiplier": 2}, host, 201)
    call("POST", f"/campaigns/{campaign['id']}/events", {
        "name": "开放日", "starts_at": (now - timedelta(minutes=10)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(), "points": 10, "max_checkins": 50},
        host, 201)
    caller_headers = make.headers(caller)
    behaviour = call("GET", "/activity-types", None, caller_headers, 200)["items"][0]
    call("POST", "/activities", {"type": behaviour["key"], "quantity": 1}, caller_headers, 201)
    call("POST", f"/rewards/{reward['id']}/redeem", None,
         {**caller_headers, "Idempotency-Key": "fuzz-seed"}, 201)


@pytest.fixture(params=["staff", "admin"])
def caller(request, client, make, monkeypatch):
    """Headers of a signed-in member of a fresh organisation, the organisation, a colleague."""
    for limit in RATE_LIMITS:
        monkeypatch.setattr(limit, 10**9)
    org = make.org()
    team = make.team(org)
    user = make.user(org, team, request.param)
    colleague = make.user(org, team, "staff")
    seed_world(client, make, org, team, user)
    # The admin run reads English: every message template is filled in both languages.
    language = {"Accept-Language": "en"} if request.param == "admin" else {}
    return make.headers(user, **language), org, colleague, request.param


def describe(label: str, check: str, info) -> str:
    """One finding: the operation, the check, what went wrong and a curl line to replay it."""
    return (f"{label}: {check}: {info.failure.title}\n    {info.failure.message[:400]}\n"
            f"    {info.code_sample}")


class FuzzRun:
    """What one engine run exercised and every check that failed."""

    def __init__(self):
        self.exercised: set[str] = set()
        self.statuses: set[int] = set()
        self.findings: list[str] = []

    def record(self, event) -> None:
        if isinstance(event, ScenarioFinished):
            recorder = event.recorder
            self.exercised.add(recorder.label)
            self.statuses |= {i.response.status_code for i in recorder.interactions.values()
                              if i.response is not None}
            self.findings += [describe(recorder.label, check.name, check.failure_info)
                              for checks in recorder.checks.values() for check in checks
                              if check.failure_info is not None]
        elif isinstance(event, NonFatalError):
            self.findings.append(f"{event.label}: error: {event.info.message}")
        elif isinstance(event, FatalError):
            self.findings.append(f"engine: {event.exception!r}")


@pytest.fixture
def exchange_signing_key(app, monkeypatch):
    """A configured deployment signs; without a key the exchange answers 503 by design."""
    from tests.machines.conftest import new_seed

    monkeypatch.setitem(app.config, "EXCHANGE_SIGNING_KEY", new_seed())


@pytest.mark.usefixtures("any_code_wechat", "exchange_signing_key")
def test_every_operation_keeps_its_contract_under_fuzzing(app, caller):
    headers, org, colleague, role = caller
    config = fuzz_config(headers, org.id, colleague.id, EXAMPLES_PER_OPERATION[role])
    schema = schemathesis.openapi.from_wsgi(SPEC_PATH, app, config=config)
    run = FuzzRun()
    for event in from_schema(schema).execute():
        run.record(event)
    assert run.findings == [], "\n".join(sorted(set(run.findings)))
    assert run.exercised == {op.ok().label for op in schema.get_all_operations()}
    assert 429 not in run.statuses, "a rate limit the fuzz run does not raise: add it above"
