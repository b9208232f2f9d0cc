"""The seed's own table (天津, end of 2020) reproduced from institutions' readings.

FACTORS.md: 7,975 institutions, 1,147,000 tce, 46,969,800 m3 of water; 22.15 kgce/m2,
381.61 kgce per person, 15.63 m3 per person, down 11.44%, 14.32% and 14.07% from 2015.

The expectation is computed here from FACTORS.md's coefficients (copied below, not read
from factors.json) and the seed's figures. Denominators are derived from the published
ratios: area = 1,147,000,000 kgce / 22.15 -> 51,783,296 m2 and occupants =
1,147,000,000 / 381.61 -> 3,005,686 (the integers whose ratios round to the published
22.15, 381.61 and 15.63). The 2015 figures are chosen to give the published changes:
1,400,000 tce and 57,163,383 m3 over 55,974,718 m2 and 3,143,313 people.

Fewer institutions than 7,975 (15, five per sector): indicators are ratios of totals, so
how the same totals and denominators are split between institutions cannot change them,
and 7,975 institutions entered through the API would take minutes of a shared machine on
every run. The report's cost at 10,000 institutions is measured by `python -m bench.energy`.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# FACTORS.md, "Institution energy": kgce and CO2 per base unit, and exact unit conversions.
KGCE = {"electricity": "0.1229", "natural_gas": "1.3300", "heat": "0.03412",
        "gasoline": "1.4714", "diesel": "1.4571", "coal": "0.7143", "lpg": "1.7143",
        "water": "0"}
DENSITY = {"gasoline": "0.73", "diesel": "0.85"}
TO_BASE = {"kWh": 1, "MWh": 1000, "万kWh": 10000, "m3": 1, "万m3": 10000, "MJ": 1,
           "GJ": 1000, "kg": 1, "t": 1000}
WATER_TO_M3 = {"m3": 1, "t": 1}

TOTAL_KGCE_2020 = 1_147_000_000  # 1,147,000 tce
TOTAL_WATER_2020 = 46_969_800
AREA_2020, PEOPLE_2020 = 51_783_296, 3_005_686
TOTAL_KGCE_2015, TOTAL_WATER_2015 = 1_400_000_000, 57_163_383
AREA_2015, PEOPLE_2015 = 55_974_718, 3_143_313

# Each institution's energy by carrier (share of its kgce) and the units it writes.
MIX = [("electricity", Fraction(45, 100), ["万kWh", "MWh", "kWh"]),
       ("heat", Fraction(25, 100), ["GJ", "MJ"]),
       ("natural_gas", Fraction(20, 100), ["万m3", "m3"]),
       ("gasoline", Fraction(4, 100), ["L", "t"]),
       ("diesel", Fraction(3, 100), ["L", "kg"]),
       ("coal", Fraction(2, 100), ["t"]),
       ("lpg", Fraction(1, 100), ["kg", "t"])]
PLACES = {"万kWh": 4, "MWh": 3, "kWh": 1, "GJ": 3, "MJ": 0, "万m3": 4, "m3": 2, "L": 1,
          "t": 4, "kg": 2}


def half_up(value: Fraction) -> int:
    return int((Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP))


def base_quantity(carrier: str, quantity: Decimal, unit: str) -> Fraction:
    if unit == "L":
        return Fraction(quantity) * Fraction(Decimal(DENSITY[carrier]))
    if carrier == "water":
        return Fraction(quantity) * WATER_TO_M3[unit]
    return Fraction(quantity) * TO_BASE[unit]


def kgce_grams(carrier: str, quantity: Decimal, unit: str) -> int:
    """round(quantity in the base unit x coefficient x 1000), as FACTORS.md says."""
    return half_up(base_quantity(carrier, quantity, unit) * Fraction(Decimal(KGCE[carrier]))
                   * 1000)


def quantity_for(carrier: str, unit: str, kgce: Fraction) -> Decimal:
    per_unit = base_quantity(carrier, Decimal(1), unit) * Fraction(Decimal(KGCE[carrier]))
    exact = kgce / per_unit
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal(1).scaleb(-PLACES[unit]), rounding=ROUND_HALF_UP)


def split(total: int, weights: list[int]) -> list[int]:
    """Integers in proportion to `weights` that add up to `total` exactly."""
    parts = [total * w // sum(weights) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


def balancing_kwh(missing_g: int) -> Decimal:
    """kWh to 3 places whose grams are exactly `missing_g` (0.1229 g per 0.001 kWh)."""
    kwh = (Decimal(missing_g) / Decimal("122.9")).quantize(Decimal("0.001"))
    assert kgce_grams("electricity", kwh, "kWh") == missing_g
    return kwh


def year_items(weights: list[int], total_kgce: int, total_water: int, months: list[str],
               rng: random.Random) -> tuple[list[list[dict]], int, Decimal]:
    """Readings per institution adding up to the totals; returns (items, grams, water)."""
    shares = split(total_kgce, weights)
    waters = split(total_water, weights)
    per_org: list[list[dict]] = []
    grams = 0
    water_sum = Decimal(0)
    for n, (kgce, water) in enumerate(zip(shares, waters, strict=True)):
        items = []
        for carrier, share, units in MIX:
            month_weights = [rng.randint(90, 110) for _ in months]
            for m, period in enumerate(months):
                if n == len(shares) - 1 and carrier == "electricity" and m == len(months) - 1:
                    continue  # the last reading of all balances the total exactly
                unit = units[(n + m) % len(units)]
                target = Fraction(kgce) * share * month_weights[m] / sum(month_weights)
                quantity = quantity_for(carrier, unit, target)
                grams += kgce_grams(carrier, quantity, unit)
                items.append({"carrier": carrier, "period": period, "quantity": str(quantity),
                              "unit": unit})
        water_parts = split(water, [rng.randint(90, 110) for _ in months])
        for m, (period, part) in enumerate(zip(months, water_parts, strict=True)):
            unit = "t" if (n + m) % 2 else "m3"
            items.append({"carrier": "water", "period": period, "quantity": str(part),
                          "unit": unit})
            water_sum += part
        per_org.append(items)
    kwh = balancing_kwh(total_kgce * 1000 - grams)
    per_org[-1].append({"carrier": "electricity", "period": months[-1], "quantity": str(kwh),
                        "unit": "kWh"})
    return per_org, grams + kgce_grams("electricity", kwh, "kWh"), water_sum


def two_places(value: Fraction) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_region_report_reproduces_the_seed_table(client, member, coordinator):
    rng = random.Random(2020)
    sectors = ["government", "school", "hospital"]
    institutions = []
    for n in range(15):
        institutions.append(member(f"天津公共机构{n + 1:02d}", sectors[n % 3]))
    weights = [rng.randint(50, 150) for _ in institutions]
    months_2020 = [f"2020-{m:02d}" for m in range(1, 13)]
    items_2020, grams_2020, water_2020 = year_items(weights, TOTAL_KGCE_2020, TOTAL_WATER_2020,
                                                    months_2020, rng)
    items_2015, grams_2015, water_2015 = year_items(weights, TOTAL_KGCE_2015, TOTAL_WATER_2015,
                                                    ["2015"], rng)
    assert (grams_2020, water_2020) == (TOTAL_KGCE_2020 * 1000, TOTAL_WATER_2020)
    assert (grams_2015, water_2015) == (TOTAL_KGCE_2015 * 1000, TOTAL_WATER_2015)

    for year, area, people in ((2020, AREA_2020, PEOPLE_2020), (2015, AREA_2015, PEOPLE_2015)):
        for inst, a, p in zip(institutions, split(area, weights), split(people, weights),
                              strict=True):
            response = client.put(f"/api/v1/orgs/{inst.id}/energy/profiles/{year}",
                                  json={"building_area_m2": a, "occupants": p},
                                  headers=inst.headers)
            assert response.status_code == 200, response.get_json()
    for inst, items in [*zip(institutions, items_2020, strict=True),
                        *zip(institutions, items_2015, strict=True)]:
        response = client.post(f"/api/v1/orgs/{inst.id}/energy/readings/batch",
                               json={"items": items}, headers=inst.headers)
        assert response.status_code == 200, response.get_json()

    report = client.get("/api/v1/energy/region?region=tianjin&year=2020&base_year=2015",
                        headers=coordinator).get_json()
    totals, indicators, change = (report["totals"], report["indicators"],
                                  report["change_vs_base_pct"])
    print(f"\n天津 2020: institutions {report['institutions']}, {totals['tce']:,} tce, "
          f"{totals['water_m3']:,} m3 water")
    print(f"kgce/m2 {indicators['kgce_per_m2']}, kgce/person {indicators['kgce_per_person']}, "
          f"m3/person {indicators['water_m3_per_person']}")
    print(f"vs 2015: {change['kgce_per_m2']}% / {change['kgce_per_person']}% / "
          f"{change['water_m3_per_person']}%")

    assert report["institutions"] == 15
    assert (totals["tce"], totals["water_m3"]) == (1_147_000.0, 46_969_800.0)
    # the expectation from FACTORS.md and the seed's figures, then the published table
    kgce_m2 = Fraction(TOTAL_KGCE_2020, AREA_2020)
    kgce_person = Fraction(TOTAL_KGCE_2020, PEOPLE_2020)
    water_person = Fraction(TOTAL_WATER_2020, PEOPLE_2020)
    expected = {"kgce_per_m2": two_places(kgce_m2),
                "kgce_per_person": two_places(kgce_person),
                "water_m3_per_person": two_places(water_person)}
    assert expected == {"kgce_per_m2": 22.15, "kgce_per_person": 381.61,
                        "water_m3_per_person": 15.63}
    assert {k: indicators[k] for k in expected} == expected
    base = {"kgce_per_m2": Fraction(TOTAL_KGCE_2015, AREA_2015),
            "kgce_per_person": Fraction(TOTAL_KGCE_2015, PEOPLE_2015),
            "water_m3_per_person": Fraction(TOTAL_WATER_2015, PEOPLE_2015)}
    now = {"kgce_per_m2": kgce_m2, "kgce_per_person": kgce_person,
           "water_m3_per_person": water_person}
    expected_change = {k: two_places((now[k] - base[k]) / base[k] * 100) for k in now}
    assert expected_change == {"kgce_per_m2": -11.44, "kgce_per_person": -14.32,
                               "water_m3_per_person": -14.07}
    assert {k: change[k] for k in expected_change} == expected_change
    assert sum(s["institutions"] for s in report["by_sector"]) == 15
