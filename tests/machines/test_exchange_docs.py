"""docs/exchange-format.schema.json describes what the code produces, and
docs/exchange-example.json is a real signed document of the code.

`WRITE_EXCHANGE_EXAMPLE=1 pytest tests/machines/test_exchange_docs.py` writes a new example
(and its public key) from a small seeded region."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema_rs
import pytest

from machines import signing

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEMA = DOCS / "exchange-format.schema.json"
EXAMPLE = DOCS / "exchange-example.json"
EXAMPLE_KEY = DOCS / "exchange-example.public-key.txt"


def validator():
    return jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))


@pytest.fixture
def produced(client, make, signing_key, approved_energy, participants, last_year):
    """A document of a region with a school (programme shown), a hospital (programme
    withheld) and an office without approved energy data."""
    when = datetime(last_year, 9, 14, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    school = make.org(name="示例中学", sector="school", headcount=60)
    hospital = make.org(name="示例医院", sector="hospital", headcount=300)
    office = make.org(name="示例机关", sector="government", headcount=80)
    approved_energy(school, last_year, kwh=420000, area=12000, occupants=650)
    approved_energy(hospital, last_year, kwh=2600000, area=35000, occupants=1400)
    participants(make, school, 14, when)
    participants(make, office, 11, when)
    participants(make, hospital, 4, when)
    response = client.get(f"/api/v1/exchange/v1/region?region=beijing&year={last_year}",
                          headers=make.headers(make.user(None, role="superadmin")))
    assert response.status_code == 200
    return response.get_json(), signing_key


def test_the_code_produces_what_the_schema_describes(produced):
    document, key = produced
    errors = [str(e) for e in validator().iter_errors(document)]
    assert errors == []
    if os.environ.get("WRITE_EXCHANGE_EXAMPLE"):
        EXAMPLE.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        EXAMPLE_KEY.write_text(signing.public_key_b64(key.public_key()) + "\n")


def test_the_schema_refuses_what_an_import_refuses(produced):
    document, _key = produced
    assert not validator().is_valid({**document, "format": "bth-exchange/2"})
    assert not validator().is_valid({**document, "surprise": 1})


def test_the_example_is_signed_and_valid():
    example = json.loads(EXAMPLE.read_text())
    assert validator().is_valid(example)
    public = signing.load_public_key(EXAMPLE_KEY.read_text().strip())
    assert signing.verifies(example, public)
    assert example["signature"]["key_id"] == signing.key_id_of(public)
