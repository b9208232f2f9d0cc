"""The shapes a 1,400-request probe found 500s with, sent to every operation of the app's own
OpenAPI document: a 5,000-digit integer and a lone surrogate in each body property, years 1
and 9999 in each date-time property and query parameter, digits of other scripts in each
number. Schemathesis draws from the schema, which never offers these; this file does.

Every answer must be below 500; a body the JSON parser refuses is 400 `invalid_json`
(or the 401/403/404 an unauthorised caller gets before the body is read).
"""

from __future__ import annotations

import json
import re

import pytest

HUGE_INTEGER = "9" * 5000
LONE_SURROGATE = '"\\ud800"'
YEARS = ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00", "0001-01-01", "9999-12-31")
OTHER_DIGITS = ("１２", "١٢")
REFUSED_BEFORE_THE_BODY = {401, 403, 404, 405}


def operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            properties = {}
            if body:
                ref = body["schema"].get("$ref", "").rsplit("/", 1)[-1]
                properties = schemas.get(ref, {}).get("properties", {})
            query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            yield path, method, properties, query


def fill(path: str, org_id: int) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(org_id if m.group(1) == "org_id" else 1), path)


def body_with(name: str, raw_value: str) -> str:
    return json.dumps({name: "__VALUE__"}).replace('"__VALUE__"', raw_value)


def is_time(prop: dict) -> bool:
    return prop.get("format") in ("date-time", "date") or prop.get("type") == "string" and (
        "time" in prop.get("description", "") or "date" in prop.get("description", ""))


@pytest.fixture
def admin(client, make):
    org = make.org()
    user = make.user(org, make.team(org), "admin")
    return make.headers(user, **{"Accept-Language": "en"}), org.id


def test_malformed_json_shapes_are_400_on_every_operation(client, admin):
    headers, org_id = admin
    findings = []
    for path, method, properties, _query in operations(client):
        for name in properties:
            for raw in (HUGE_INTEGER, LONE_SURROGATE, "[" + HUGE_INTEGER + "]"):
                response = client.open(fill(path, org_id), method=method.upper(),
                                       data=body_with(name, raw).encode(),
                                       content_type="application/json", headers=headers)
                ok = response.status_code in REFUSED_BEFORE_THE_BODY or (
                    response.status_code == 400
                    and response.get_json()["error"]["code"] == "invalid_json")
                if not ok:
                    findings.append((method, path, name, raw[:12], response.status_code))
    assert findings == []


def test_out_of_range_years_and_other_digits_never_answer_500(client, admin):
    headers, org_id = admin
    findings = []
    for path, method, properties, query in operations(client):
        url = fill(path, org_id)
        for name, prop in properties.items():
            values = YEARS if is_time(prop) else OTHER_DIGITS if prop.get("type") in (
                "integer", "number") else ()
            for value in values:
                response = client.open(url, method=method.upper(), json={name: value},
                                       headers=headers)
                if response.status_code >= 500:
                    findings.append((method, path, name, value, response.status_code))
        for parameter in query:
            for value in (*YEARS, *OTHER_DIGITS, HUGE_INTEGER):
                response = client.open(url, method=method.upper(),
                                       query_string={parameter["name"]: value}, headers=headers)
                if response.status_code >= 500:
                    findings.append((method, path, parameter["name"], value[:12],
                                     response.status_code))
    assert findings == []
