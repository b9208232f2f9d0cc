"""Names people read (display names, team names): NFKC-normalised; bidi overrides, format and
control characters, line breaks, blank and invisible-only names are refused."""

from __future__ import annotations

import pytest


def patch_me(client, make, user, name):
    return client.patch("/api/v1/me", json={"display_name": name}, headers=make.headers(user))


@pytest.mark.parametrize("name", [
    "abc\u202egnp.exe",  # right-to-left override
    "张\u200b三",  # zero-width space
    "admin\u2066",  # bidi isolate
    "张三\n管理员",
    "张三\r",
    "bell\x07",
    "a\u2028b",  # line separator
])
def test_format_control_and_line_break_characters_are_refused(client, make, people, name):
    response = patch_me(client, make, people.staff, name)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]) == ["display_name"]


@pytest.mark.parametrize("name", ["   ", "\u3000\u3000", "\u3164", "\u2800\u2800", " \u0301 "])
def test_blank_and_invisible_only_names_are_refused(client, make, people, name):
    response = patch_me(client, make, people.staff, name)
    assert response.status_code == 422
    assert "display_name" in response.get_json()["error"]["details"]


def test_names_are_nfkc_normalised_and_trimmed(client, make, people):
    response = patch_me(client, make, people.staff, "  ＺＨＡＮＧ　三  ")
    assert response.status_code == 200
    assert response.get_json()["display_name"] == "ZHANG 三"


def test_team_names_follow_the_same_rule(client, make, people):
    response = client.post(f"/api/v1/orgs/{people.org.id}/teams", json={"name": "财务\u202e科"},
                           headers=make.headers(people.admin))
    assert response.status_code == 422
    assert "name" in response.get_json()["error"]["details"]
