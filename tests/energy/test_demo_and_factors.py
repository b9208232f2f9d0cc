"""The demo ledger, factors.json's energy section, pure arithmetic, database constraints."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.csv_export import safe_cell
from app.figures import competition_ranks
from energy import reports
from energy.accounting import change_pct, parse_quantity, two_places
from energy.demo import PLANS, seed_demo_energy, seed_energy
from energy.factors import EnergyFactorError, load_energy_methods
from energy.models import EnergyCarrierYear, EnergyReading, EnergySubmission, EnergyYearTotal
from energy.rollup import rebuild_year_totals

JUNE = datetime.fromisoformat("2026-06-15T10:00:00+08:00")


@pytest.fixture
def demo_orgs(make):
    make.user(None, role="superadmin", username="coordinator")
    regions = {"北京市东城区机关事务管理局": ("beijing", "government"),
               "天津市第一中学": ("tianjin", "school"), "河北省人民医院": ("hebei", "hospital")}
    return [make.org(name=name, region=region, sector=sector)
            for name, (region, sector) in regions.items()]


def test_seed_demo_runs_the_energy_seeder(app):
    assert seed_demo_energy in app.extensions["demo_seeders"]


def test_demo_ledger_is_realistic_and_seeded_once(session, methods, demo_orgs):
    said = []
    seed_energy(session, methods, JUNE, said.append)
    session.commit()
    count = session.scalar(select(func.count()).select_from(EnergyReading))
    seed_energy(session, methods, JUNE, said.append)
    session.commit()
    assert session.scalar(select(func.count()).select_from(EnergyReading)) == count
    assert len(said) == 3

    hospital = demo_orgs[2]
    report = reports.org_report(session, hospital, 2025, 2015, JUNE, methods)
    months = {m["period"]: m for m in report["months"]}
    # summer cooling: July's electricity above April's; heating season: January's heat, no July
    assert (months["2025-07"]["carriers"]["electricity"]["kgce"]
            > months["2025-04"]["carriers"]["electricity"]["kgce"])
    assert months["2025-01"]["carriers"]["heat"]["kgce"] > 0
    assert months["2025-07"]["carriers"]["heat"]["quantity"] == 0
    assert report["status"] == "approved"
    assert 20 < report["indicators"]["kgce_per_m2"] < 80
    assert report["change_vs_base_pct"]["kgce_per_m2"] < 0
    this_year = reports.org_report(session, hospital, 2026, 2015, JUNE, methods)
    assert [m["period"] for m in this_year["months"] if m["kgce"] is not None] == [
        f"2026-{m:02d}" for m in range(1, 6)]
    assert this_year["status"] == "draft"  # January to April draft, May submitted
    pending = session.scalars(select(EnergySubmission).where(
        EnergySubmission.status == "submitted")).all()
    assert sorted(s.period for s in pending) == ["2026-05"] * 3
    region = reports.region_report(session, None, 2025, 2015, JUNE)
    assert region["institutions"] == len(PLANS) == 3


def test_factors_json_energy_coefficients_are_factors_md(methods):
    method = methods.latest
    expected = {"ce_electricity": "0.1229", "ce_natural_gas": "1.3300", "ce_heat": "0.03412",
                "ce_gasoline": "1.4714", "ce_diesel": "1.4571", "ce_coal": "0.7143",
                "ce_lpg": "1.7143", "density_gasoline": "0.73", "density_diesel": "0.85",
                "co2_natural_gas": "2.162", "co2_gasoline": "2.925", "co2_diesel": "3.096",
                "co2_heat": "110", "co2_coal": "1.900", "co2_lpg": "3.101"}
    assert {k: c.value for k, c in method.coefficients.items()} == {
        k: Decimal(v) for k, v in expected.items()}
    assert all(c.source.strip() and c.confidence.strip() for c in method.coefficients.values())
    assert set(method.carriers) == {"electricity", "natural_gas", "heat", "water", "gasoline",
                                    "diesel", "coal", "lpg"}
    assert {k: list(c.units) for k, c in method.carriers.items()} == {
        "electricity": ["kWh", "MWh", "万kWh"], "natural_gas": ["m3", "万m3"],
        "heat": ["MJ", "GJ"], "water": ["m3", "t"], "gasoline": ["kg", "t", "L"],
        "diesel": ["kg", "t", "L"], "coal": ["kg", "t"], "lpg": ["kg", "t"]}
    assert method.grid_factor("tianjin") == Decimal("0.7041")
    assert method.grid_factor("other") == Decimal("0.5306")


def test_a_carrier_naming_an_unknown_coefficient_stops_the_load(tmp_path):
    from energy.setup import FACTORS_FILE

    sets = json.loads(FACTORS_FILE.read_text(encoding="utf-8"))
    sets[0]["energy"]["carriers"][0]["kgce"]["factor"] = "ce_invented"
    path = tmp_path / "factors.json"
    path.write_text(json.dumps(sets, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(EnergyFactorError, match="ce_invented"):
        load_energy_methods(path)


@pytest.mark.parametrize(("text", "ok"), [("0", True), ("1.123456", True), ("1.1234567", False),
                                          ("-0.1", False), ("1e10", False), ("NaN", False),
                                          ("9999999999.5", True)])
def test_quantity_limits(text, ok):
    if ok:
        assert parse_quantity(text) == Decimal(text)
    else:
        with pytest.raises(ValueError):  # noqa: PT011 - QuantityOutOfRange is a ValueError
            parse_quantity(text)


def test_percent_change_uses_unrounded_ratios_and_ranks_share_ties():
    assert change_pct(Fraction(1362, 1000), Fraction(14748, 10000)) == -7.65
    assert change_pct(Fraction(1), None) is None
    assert two_places(Fraction(2215, 100000) * 1000) == 22.15
    assert competition_ranks([Fraction(2), Fraction(1), Fraction(2), None],
                             lowest_first=True) == [2, 1, 2, None]


@pytest.mark.parametrize(("value", "shown"), [("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
                                              ("+1", "'+1"), ("-1+2", "'-1+2"), ("@x", "'@x"),
                                              ("\tx", "'\tx"), ("\rx", "'\rx"), ("水", "水"),
                                              (-11.44, -11.44), (None, None)])
def test_safe_cell_neutralises_formula_text_only(value, shown):
    assert safe_cell(value) == shown


def test_the_database_refuses_a_month_in_an_annual_year(app, make):
    from app.extensions import db

    org = make.org()
    with app.app_context():  # the app's engine: foreign keys enforced on SQLite too
        session = db.session
        session.add(EnergyCarrierYear(org_id=org.id, carrier="water", year=2015, annual=True))
        session.commit()
        session.add(EnergyReading(org_id=org.id, carrier="water", year=2015, month=3,
                                  annual=False, quantity="1", unit="m3", base_quantity_milli=1000,
                                  kgce_g=0, co2e_g=0, factor_version="bth-2025.1"))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        session.add(EnergyCarrierYear(org_id=org.id, carrier="water", year=2015, annual=False))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()


def _totals(session) -> set[tuple]:
    return {tuple(row) for row in session.execute(select(
        EnergyYearTotal.org_id, EnergyYearTotal.year, EnergyYearTotal.status,
        EnergyYearTotal.readings, EnergyYearTotal.kgce_g, EnergyYearTotal.co2e_g,
        EnergyYearTotal.water_milli, EnergyYearTotal.restated_readings))}


def test_year_totals_kept_on_every_write_equal_a_rebuild(session, methods, demo_orgs, client,
                                                         headers_for):
    seed_energy(session, methods, JUNE, lambda _line: None)  # enter, submit, approve
    session.commit()
    org = demo_orgs[0]
    admin = headers_for(_admin_of(session, org))
    reading_id = session.scalar(select(EnergyReading.id).where(
        EnergyReading.org_id == org.id, EnergyReading.status == "approved",
        EnergyReading.year == 2025).limit(1))
    restated = client.patch(f"/api/v1/energy/readings/{reading_id}", headers=admin,
                            json={"quantity": 1, "reason": "重述"})
    assert restated.status_code == 200, restated.get_json()
    session.expire_all()
    kept = _totals(session)
    assert any(row[7] == 1 for row in kept)  # the restated reading is counted
    rebuild_year_totals(session)
    session.commit()
    assert _totals(session) == kept


def _admin_of(session, org):
    from app.models import User

    admin = User(username=f"admin-of-{org.id}", display_name="管理员", org_id=org.id,
                 role="admin")
    session.add(admin)
    session.commit()
    return admin
