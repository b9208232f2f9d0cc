"""An organisation with an admin and a member, and the invariant check after each test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.points.helpers import invariant_violations


@dataclass
class World:
    org: object
    team: object
    admin: object
    staff: object
    other_org: object
    other_admin: object
    other_staff: object


@pytest.fixture
def world(make):
    org = make.org(name="北京市测试局")
    team = make.team(org, "办公室")
    other = make.org(name="天津市测试中学", region="tianjin", sector="school")
    other_team = make.team(other, "行政办公室")
    return World(org=org, team=team, admin=make.user(org, team, role="admin"),
                 staff=make.user(org, team), other_org=other,
                 other_admin=make.user(other, other_team, role="admin"),
                 other_staff=make.user(other, other_team))


@pytest.fixture
def books_balance(session):
    """After the test: every balance equals its ledger, every stock its movements."""
    yield
    assert invariant_violations(session) == []
