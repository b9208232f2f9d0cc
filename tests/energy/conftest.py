"""Fixtures of the energy ledger tests: an institution, its admin, the coordinator."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest


@dataclass
class Institution:
    org: object
    admin: object
    headers: dict

    @property
    def id(self) -> int:
        return self.org.id


@pytest.fixture
def methods(app):
    return app.extensions["energy_methods"]


@pytest.fixture
def institution(make):
    """An institution in Tianjin with its admin (and that admin's headers)."""
    org = make.org(region="tianjin", sector="school")
    admin = make.user(org, role="admin")
    return Institution(org, admin, make.headers(admin))


@pytest.fixture
def coordinator(make):
    """The regional coordinator's headers (superadmin)."""
    return make.headers(make.user(None, role="superadmin"))


@pytest.fixture
def post_reading(client, institution):
    def post(org: Institution | None = None, **body):
        org = org or institution
        return client.post(f"/api/v1/orgs/{org.id}/energy/readings", json=body,
                           headers=org.headers)

    return post


@pytest.fixture
def put_profile(client, institution):
    def put(year: int, area: int = 10000, occupants: int = 500, org: Institution | None = None):
        org = org or institution
        response = client.put(f"/api/v1/orgs/{org.id}/energy/profiles/{year}",
                              json={"building_area_m2": area, "occupants": occupants},
                              headers=org.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return put


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    text = response.get_data().decode("utf-8")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
