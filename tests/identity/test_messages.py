"""Every error code and field message the app can send has Chinese and English text."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from app.errors import _HTTP_CODES, ApiError
from app.i18n import DETAIL_MESSAGES, MESSAGES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "activities", "points", "leaderboards", "campaigns", "reports")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(ROOT / package)])]
    return names


def _error_classes() -> set[type[ApiError]]:
    for name in _modules():
        importlib.import_module(name)
    found, todo = set(), [ApiError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo += cls.__subclasses__()
    return found


def _calls(function_names: set[str]):
    """Every call in the packages' sources to one of `function_names`."""
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                    if name in function_names:
                        yield node


def _strings(call: ast.Call, keyword: str) -> list[str]:
    args = [*call.args, *(k.value for k in call.keywords if k.arg == keyword)]
    return [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def error_codes() -> set[str]:
    """Codes from the error classes, from every place one is raised, and from the handlers."""
    classes = _error_classes()
    codes = {c.code for c in classes} | {c.message_code for c in classes if c.message_code}
    codes |= set(_HTTP_CODES.values()) | {"invalid_json", "internal_error"}
    for call in _calls({c.__name__ for c in classes}):
        codes.update(_strings(call, "code"))
    for call in _calls({"field_error"}):  # field_error(code, field, ...)
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Constant):
            codes.add(first.value)
    for call in _calls({"error_response", "error_body"}):
        codes.update(s for s in _strings(call, "code") if s.isidentifier())
    return codes


def detail_codes() -> set[str]:
    return {s for call in _calls({"FieldMessage"}) for s in _strings(call, "code")[:1]}


def test_the_collection_finds_codes_of_every_kind():
    """The walk below would pass vacuously if it found nothing."""
    assert {"not_found", "insufficient_points", "activity_points_spent", "wechat_rate_limited",
            "idempotency_key_missing", "invalid_json"} <= error_codes()
    assert {"invalid_cursor", "one_of", "backfill_window"} <= detail_codes()


def assert_bilingual(table: dict[str, tuple[str, str]], code: str) -> None:
    assert code in table, f"no message {code!r} in app/i18n.py"
    zh, en = table[code]
    assert zh.strip()
    assert en.strip()
    assert zh != en
    assert CJK.search(zh), zh
    assert not CJK.search(en), en
    assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en))


@pytest.mark.parametrize("code", sorted(error_codes() | set(MESSAGES)))
def test_every_error_code_has_a_chinese_and_an_english_message(code):
    assert_bilingual(MESSAGES, code)


@pytest.mark.parametrize("code", sorted(detail_codes() | set(DETAIL_MESSAGES)))
def test_every_field_message_has_chinese_and_english(code):
    assert_bilingual(DETAIL_MESSAGES, code)


# --- through requests ------------------------------------------------------------------------

ENGLISH = {"Accept-Language": "en"}


def test_an_unknown_path_answers_in_english_on_request(client):
    body = client.get("/api/v1/nothing-here", headers=ENGLISH).get_json()["error"]
    assert body == {"code": "not_found", "message": "Not found", "details": {}}
    assert client.get("/api/v1/nothing-here").get_json()["error"]["message"] == "找不到请求的资源"


def test_a_bad_board_period_names_the_choices_in_the_clients_language(client, make):
    org = make.org()
    headers = make.headers(make.user(org, make.team(org)))
    path = "/api/v1/leaderboards/teams?period=fortnight"

    english = client.get(path, headers={**headers, **ENGLISH}).get_json()["error"]
    chinese = client.get(path, headers=headers).get_json()["error"]

    assert english["message"] == "Some values are invalid"
    assert english["details"]["period"][0].startswith("One of: week, month")
    assert chinese["message"] == "提交的数据不符合要求"
    assert chinese["details"]["period"][0].startswith("可选：week, month")


def test_an_activity_in_the_future_is_refused_in_english_on_request(client, make, clock):
    from datetime import timedelta

    org = make.org()
    headers = make.headers(make.user(org, make.team(org)))
    body = {"type": "walk", "quantity": 1,
            "occurred_at": (clock.now() + timedelta(hours=2)).isoformat()}

    english = client.post("/api/v1/activities", json=body, headers={**headers, **ENGLISH})
    chinese = client.post("/api/v1/activities", json=body, headers=headers)

    assert english.status_code == chinese.status_code == 422
    assert english.get_json()["error"]["message"] == "The time is in the future"
    assert english.get_json()["error"]["details"] == {"occurred_at": ["Must not be in the future"]}
    assert chinese.get_json()["error"]["details"] == {"occurred_at": ["不能晚于现在"]}


def test_a_validator_message_of_ours_and_marshmallows_follow_the_language(client, make):
    org = make.org()
    headers = make.headers(make.user(org, make.team(org), role="admin"))
    body = {"username": "no spaces allowed", "display_name": "", "role": "staff",
            "password": "long-enough-password"}

    english = client.post(f"/api/v1/orgs/{org.id}/users", json=body,
                          headers={**headers, **ENGLISH}).get_json()["error"]["details"]
    chinese = client.post(f"/api/v1/orgs/{org.id}/users", json=body,
                          headers=headers).get_json()["error"]["details"]

    assert english["username"] == ["Only letters, digits and _ . -"]
    assert chinese["username"] == ["只能包含字母、数字和 _ . -"]
