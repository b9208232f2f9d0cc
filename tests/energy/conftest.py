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
def headers_for(make, clock):
    """Bearer headers issued on the app's clock (so a frozen clock accepts them)."""
    return lambda user: {"Authorization": f"Bearer {make.token(user, clock.now())}"}


@pytest.fixture
def member(make, headers_for):
    """A new institution with its admin: `member(name, sector, region="tianjin")`."""

    def build(name: str | None = None, sector: str = "school", region: str = "tianjin"):
        org = make.org(name=name, region=region, sector=sector)
        admin = make.user(org, role="admin")
        return Institution(org, admin, headers_for(admin))

    return build


@pytest.fixture
def institution(member):
    """An institution (a school in Tianjin) with its admin (and that admin's headers)."""
    return member()


@pytest.fixture
def coordinator(make, headers_for):
    """The regional coordinator's headers (superadmin)."""
    return headers_for(make.user(None, role="superadmin"))


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
