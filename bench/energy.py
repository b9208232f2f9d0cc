"""Energy ledger benchmark: file import time, region report statements and time.

.venv/bin/python -m bench.energy   (PostgreSQL database `bench_energy`, dropped and created on
BENCH_PG_URL's server; no Redis)

1. Import: a CSV file of 10,000 rows through POST /orgs/{id}/energy/imports (the test client,
   the whole request: upload, decoding, parsing, conversion, checks, and for a real import the
   writes and the commit). One institution can hold at most 8 carriers x 12 months x 26 years
   (2000 to last year) = 2,496 distinct readings, so 10,000 valid rows are 4 files of 2,500 for
   4 institutions; a single 10,000-row file is measured as a dry run (every check, no write),
   and as an all-or-nothing import refused by its last row (every check, then 422). The XLSX
   dry run of the same 10,000 rows is measured too.
2. Region report: institutions seeded in bulk SQL (a profile for the year, the year before and
   2015; 4 carriers x 12 months in 2 years and 4 annual 2015 readings each, and their year
   totals as the ledger keeps them), then GET
   /energy/region?year=&base_year=2015: SQL statements of one call and the median of `calls`.
"""

from __future__ import annotations

import argparse
import io
import os
import time

import psycopg

from bench.report_scaling import measure

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE = "bench_energy"
CARRIERS = [("electricity", "kWh"), ("natural_gas", "m3"), ("heat", "GJ"), ("water", "t"),
            ("gasoline", "L"), ("diesel", "kg"), ("coal", "t"), ("lpg", "kg")]
YEAR, BASE_YEAR = 2025, 2015
PER_INSTITUTION = 8 * 12 * 26  # every carrier and month of 2000-2025: 2,496 readings

SEED_ORGS = """
INSERT INTO organisations (name, region, sector, headcount, floor_area_m2, timezone, created_at)
SELECT '基准机构' || g, 'tianjin', (ARRAY['government','school','hospital','other'])[1 + g % 4],
       100, 0, 'Asia/Shanghai', now()
FROM generate_series(1, :count) AS g
"""
SEED_PROFILES = """
INSERT INTO energy_profiles (org_id, year, building_area_m2, occupants, created_at, updated_at)
SELECT o.id, y, 5000 + o.id % 9000, 100 + o.id % 900, now(), now()
FROM organisations o CROSS JOIN (VALUES (:year), (:year - 1), (:base)) AS years(y)
WHERE o.name LIKE '基准机构%' AND o.id > :after
"""
SEED_CARRIER_YEARS = """
INSERT INTO energy_carrier_years (org_id, carrier, year, annual)
SELECT o.id, c, y, y = :base
FROM organisations o
CROSS JOIN (VALUES ('electricity'), ('natural_gas'), ('heat'), ('water')) AS carriers(c)
CROSS JOIN (VALUES (:year), (:year - 1), (:base)) AS years(y)
WHERE o.name LIKE '基准机构%' AND o.id > :after
"""
SEED_READINGS = """
INSERT INTO energy_readings (org_id, carrier, year, month, annual, quantity, unit,
    base_quantity_milli, kgce_g, co2e_g, factor_version, status, restated, version, created_at,
    updated_at)
SELECT cy.org_id, cy.carrier, cy.year, m, cy.annual, (1000 + cy.org_id % 500)::text, 'kWh',
       (1000 + cy.org_id % 500) * 1000, (1000 + cy.org_id % 500) * 123,
       (1000 + cy.org_id % 500) * 704, 'bth-2025.1', 'approved', false, 1, now(), now()
FROM energy_carrier_years cy
CROSS JOIN LATERAL (SELECT generate_series(CASE WHEN cy.annual THEN 0 ELSE 1 END,
                                           CASE WHEN cy.annual THEN 0 ELSE 12 END) AS m) AS ms
WHERE cy.org_id > :after
"""
SEED_TOTALS = """
INSERT INTO energy_year_totals (org_id, year, status, readings, kgce_g, co2e_g, water_milli,
    water_readings, restated_readings)
SELECT org_id, year, status, count(*), sum(kgce_g), sum(co2e_g),
       sum(CASE WHEN carrier = 'water' THEN base_quantity_milli ELSE 0 END),
       sum(CASE WHEN carrier = 'water' THEN 1 ELSE 0 END), sum(CASE WHEN restated THEN 1 ELSE 0 END)
FROM energy_readings WHERE org_id > :after GROUP BY org_id, year, status
"""


def environment() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    os.environ.update({"APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-long-enough-for-hs256",
                       "DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + "/" + DATABASE,
                       "LEADERBOARD_RECONCILE_SECONDS": "0"})
    os.environ.pop("REDIS_URL", None)


def rows_for(first_year: int, count: int) -> list[list[str]]:
    """`count` distinct (carrier, month) rows from January `first_year` on, mixed units."""
    rows = []
    year, month = first_year, 1
    while len(rows) < count:
        for carrier, unit in CARRIERS:
            if len(rows) < count:
                rows.append([f"{year}-{month:02d}", carrier, str(100 + len(rows) % 997), unit,
                             f"{(100 + len(rows) % 997) * 3}.50"])
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return rows


def csv_file(rows: list[list[str]]) -> bytes:
    lines = ["期间,能源品种,数量,单位,费用", *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def xlsx_file(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["期间", "能源品种", "数量", "单位", "费用"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def timed_upload(client, org_id: int, headers: dict, name: str, data: bytes,
                 dry_run: bool = False) -> tuple[float, int, dict]:
    started = time.perf_counter()
    response = client.post(f"/api/v1/orgs/{org_id}/energy/imports"
                           + ("?dry_run=true" if dry_run else ""),
                           data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data", headers=headers)
    return time.perf_counter() - started, response.status_code, response.get_json()


def bench_import(app, db, client, headers_of) -> None:
    from app.models import Organisation, User

    with app.app_context():
        orgs = [Organisation(name=f"导入机构{n}", region="tianjin", sector="school",
                             headcount=100) for n in range(5)]
        db.session.add_all(orgs)
        db.session.flush()
        admins = [User(username=f"import-admin-{o.id}", display_name="管理员", org_id=o.id,
                       role="admin") for o in orgs]
        db.session.add_all(admins)
        db.session.commit()
        pairs = [(o.id, headers_of(a)) for o, a in zip(orgs, admins, strict=True)]
    valid = rows_for(2000, PER_INSTITUTION)
    ten_thousand = (valid * 5)[:10_000]  # rows after the first 2,496 repeat a period
    org_id, headers = pairs[4]
    seconds, status, body = timed_upload(client, org_id, headers, "e.csv",
                                         csv_file(ten_thousand), dry_run=True)
    print(f"10,000-row CSV, dry run: {seconds:.2f} s (status {status}, {body['valid']} valid, "
          f"{body['invalid']} repeating a period)")
    seconds, status, body = timed_upload(client, org_id, headers, "e.xlsx",
                                         xlsx_file(ten_thousand), dry_run=True)
    print(f"10,000-row XLSX, dry run: {seconds:.2f} s (status {status})")
    seconds, status, body = timed_upload(client, org_id, headers, "e.csv",
                                         csv_file(ten_thousand))
    print(f"10,000-row CSV refused all or nothing: {seconds:.2f} s (status {status}, "
          f"{len(body['error']['details']['errors'])} row errors)")
    total = 0.0
    for n, (org, org_headers) in enumerate(pairs[:4]):
        seconds, status, body = timed_upload(client, org, org_headers, "e.csv", csv_file(valid))
        assert status == 200, body
        total += seconds
        print(f"  file {n + 1}: {len(body['created_ids']):,} rows written in {seconds:.2f} s")
    print(f"{4 * PER_INSTITUTION:,} rows written in 4 files: {total:.2f} s")


def seed_institutions(db, count: int, after: int) -> float:
    from sqlalchemy import text

    started = time.perf_counter()
    params = {"count": count, "year": YEAR, "base": BASE_YEAR, "after": after}
    for statement in (SEED_ORGS, SEED_PROFILES, SEED_CARRIER_YEARS, SEED_READINGS,
                      SEED_TOTALS):
        db.session.execute(text(statement), params)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    return time.perf_counter() - started


def bench_region(app, db, client, headers: dict, sizes: list[int], calls: int) -> None:
    from sqlalchemy import func, select, text

    from energy.models import EnergyReading

    url = f"/api/v1/energy/region?region=tianjin&year={YEAR}&base_year={BASE_YEAR}"
    seeded = 0
    for size in sizes:
        with app.app_context():
            # the benchmark's own institutions only: drop the import ones from the region
            db.session.execute(text("UPDATE organisations SET region = 'other' "
                                    "WHERE name LIKE '导入机构%'"))
            after = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM organisations"))
            seed_s = seed_institutions(db, size - seeded, after)
            readings = db.session.scalar(select(func.count()).select_from(EnergyReading))
        seeded = size
        statements, median_ms, report = measure(app, db, client, url, headers, calls)
        print(f"{size:>6,} institutions ({readings:,} readings, seeded in {seed_s:.1f} s): "
              f"region report {statements} SQL statements, median {median_ms:.1f} ms of "
              f"{calls} calls; institutions {report['institutions']}, "
              f"{report['indicators']['kgce_per_m2']} kgce/m2", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,10000", help="institutions, increasing")
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    environment()
    from flask_migrate import upgrade

    from app import create_app
    from app.auth import issue_access_token, token_settings
    from app.clock import now_utc
    from app.extensions import db
    from app.models import User

    app = create_app()

    def headers_of(user) -> dict:
        return {"Authorization": "Bearer " + issue_access_token(
            user, token_settings(app.config), now_utc())}

    with app.app_context():
        upgrade()
        coordinator = User(username="bench-coordinator", display_name="协调员",
                           role="superadmin")
        db.session.add(coordinator)
        db.session.commit()
        coordinator_headers = headers_of(coordinator)
    client = app.test_client()
    if not args.skip_import:
        bench_import(app, db, client, headers_of)
    bench_region(app, db, client, coordinator_headers,
                 [int(s) for s in args.sizes.split(",")], args.calls)


if __name__ == "__main__":
    main()
