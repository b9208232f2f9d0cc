"""Batch entry and file import: dry run, all or nothing, encodings, headers, template."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from energy.models import EnergyReading
from tests.energy.conftest import csv_rows, error_code

GOOD = [{"carrier": "electricity", "period": "2024-01", "quantity": "12.5", "unit": "MWh"},
        {"carrier": "water", "period": "2024-01", "quantity": 300, "unit": "t",
         "cost_yuan": 1800}]


def readings_count(session) -> int:
    return session.scalar(select(func.count()).select_from(EnergyReading))


def batch(client, institution, items, dry_run=False):
    suffix = "?dry_run=true" if dry_run else ""
    return client.post(f"/api/v1/orgs/{institution.id}/energy/readings/batch{suffix}",
                       json={"items": items}, headers=institution.headers)


def upload(client, institution, name, data, dry_run=False):
    suffix = "?dry_run=true" if dry_run else ""
    return client.post(f"/api/v1/orgs/{institution.id}/energy/imports{suffix}",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=institution.headers)


def test_batch_writes_every_item(client, institution, session):
    response = batch(client, institution, GOOD)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["valid"] == 2
    assert len(response.get_json()["created_ids"]) == 2
    assert readings_count(session) == 2


def test_batch_dry_run_reports_per_item_and_writes_nothing(client, institution, session):
    items = [*GOOD, {"carrier": "steam", "period": "2024-01", "quantity": 1, "unit": "t"},
             {"carrier": "water", "period": "2024-01", "quantity": 1, "unit": "m3"}]
    response = batch(client, institution, items, dry_run=True)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["valid"], body["invalid"], body["created_ids"]) == (2, 2, [])
    assert [(e["index"], e["code"]) for e in body["errors"]] == [
        (2, "unknown_carrier"), (3, "reading_exists")]  # a duplicate within the batch
    assert readings_count(session) == 0


def test_batch_with_one_bad_item_writes_nothing(client, institution, session):
    items = [*GOOD, {"carrier": "heat", "period": "2024-02", "quantity": -3, "unit": "GJ"}]
    response = batch(client, institution, items)
    assert (response.status_code, error_code(response)) == (422, "import_rejected")
    errors = response.get_json()["error"]["details"]["errors"]
    assert [(e["index"], e["code"]) for e in errors] == [(2, "quantity_out_of_range")]
    assert readings_count(session) == 0


def test_batch_takes_1000_items_and_refuses_1001(client, institution, session):
    carriers = [("water", "m3"), ("electricity", "kWh"), ("heat", "GJ"), ("coal", "t")]
    items = [{"carrier": carriers[n % 4][0], "unit": carriers[n % 4][1], "quantity": n,
              "period": f"{2000 + n // 48}-{n // 4 % 12 + 1:02d}", "note": "x" * 200}
             for n in range(1001)]
    response = batch(client, institution, items)
    assert response.status_code == 422
    assert readings_count(session) == 0
    response = batch(client, institution, items[:1000])
    assert response.status_code == 200, response.get_json()
    assert readings_count(session) == 1000


def test_csv_in_gbk_with_chinese_headers_and_carrier_names(client, institution, session):
    text = ("期间,能源品种,数量,单位,费用\r\n2024-01,电力,1.5,万kWh,12000\r\n"
            "2024-01,天然气,1200,m3,4200\r\n\r\n2024-02,水,80,t,\r\n")
    response = upload(client, institution, "能耗.csv", text.encode("gbk"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["valid"] == 3
    listed = client.get(f"/api/v1/orgs/{institution.id}/energy/readings?year=2024",
                        headers=institution.headers).get_json()["items"]
    assert sorted((r["carrier"], r["unit"], r["quantity"]) for r in listed) == [
        ("electricity", "万kWh", 1.5), ("natural_gas", "m3", 1200), ("water", "t", 80)]


def test_csv_in_utf8_with_bom_and_english_headers(client, institution):
    text = "\ufeffperiod,carrier,quantity,unit,cost_yuan\n2024-03,heat,120,GJ,9000\n"
    response = upload(client, institution, "energy.CSV", text.encode("utf-8"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["valid"] == 1


def test_gbk_file_with_broken_bytes_is_a_clear_422(client, institution, session):
    data = "期间,能源品种,数量,单位\r\n2024-01,电力,1,kWh\r\n".encode("gbk") + b"\x81"
    response = upload(client, institution, "broken.csv", data)
    assert (response.status_code, error_code(response)) == (422, "file_encoding_invalid")
    assert response.get_json()["error"]["details"]["byte_offset"] == len(data) - 1
    assert readings_count(session) == 0


@pytest.mark.parametrize(("name", "data"), [
    ("readings.txt", b"period,carrier,quantity,unit\n"),
    ("readings.pdf", b"%PDF-1.4"),
    ("readings.xlsx", b"not a zip at all"),
    ("readings.csv", b"PK\x03\x04 a zip named csv"),
    ("readings.csv", b"period\x00carrier"),
])
def test_a_file_that_is_not_csv_or_xlsx_is_refused(client, institution, name, data):
    response = upload(client, institution, name, data)
    assert (response.status_code, error_code(response)) == (422, "file_type_unsupported")


def test_unknown_or_missing_columns_are_refused(client, institution, session):
    extra = upload(client, institution, "a.csv",
                   "期间,能源品种,数量,单位,楼层\n2024-01,电力,1,kWh,3\n".encode())
    assert (extra.status_code, error_code(extra)) == (422, "file_columns_invalid")
    assert extra.get_json()["error"]["details"]["unknown"] == ["楼层"]
    missing = upload(client, institution, "b.csv", b"period,carrier,quantity\n2024-01,heat,1\n")
    assert missing.get_json()["error"]["details"]["missing"] == ["unit"]
    assert readings_count(session) == 0


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_import_names_the_bad_rows_and_writes_nothing(client, institution, session):
    data = _xlsx([["期间", "能源品种", "数量", "单位", "费用"],
                  ["2024-01", "柴油", 500, "L", 3800],
                  ["2024-01", "=cmd|' /C calc'!A0", 1, "kWh", None],
                  ["2024-02", "液化石油气", 12.5, "kg", 90]])
    response = upload(client, institution, "readings.xlsx", data)
    assert (response.status_code, error_code(response)) == (422, "import_rejected")
    errors = response.get_json()["error"]["details"]["errors"]
    assert [(e["row"], e["code"]) for e in errors] == [(3, "unknown_carrier")]
    assert readings_count(session) == 0
    dry = upload(client, institution, "readings.xlsx", data, dry_run=True).get_json()
    assert (dry["valid"], dry["invalid"]) == (2, 1)


def test_a_formula_in_a_note_never_comes_back_as_a_formula(client, institution):
    text = ("期间,能源品种,数量,单位,备注\n2024-01,水,5,m3,=cmd|' /C calc'!A0\n"
            "2024-02,水,5,m3,@SUM(A1)\n")
    assert upload(client, institution, "n.csv", text.encode()).status_code == 200
    rows = csv_rows(client.get(f"/api/v1/orgs/{institution.id}/energy/readings?format=csv",
                               headers=institution.headers))
    notes = [row[rows[0].index("note")] for row in rows[1:]]
    assert notes == ["'=cmd|' /C calc'!A0", "'@SUM(A1)"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_has_the_columns_and_one_example_row(client, institution, fmt):
    response = client.get(f"/api/v1/energy/import-template?format={fmt}",
                          headers=institution.headers)
    assert response.status_code == 200
    if fmt == "csv":
        rows = csv_rows(response)
    else:
        sheet = load_workbook(io.BytesIO(response.get_data())).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["期间", "能源品种", "数量", "单位", "费用"]
    assert len(rows) == 2


def test_the_template_filled_in_imports(client, institution, session):
    template = client.get("/api/v1/energy/import-template?format=xlsx",
                          headers=institution.headers).get_data()
    book = load_workbook(io.BytesIO(template))
    book.active.delete_rows(2)
    book.active.append(["2024-05", "热力", 40, "GJ", 3000, None])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, institution, "template.xlsx", buffer.getvalue())
    assert response.status_code == 200, response.get_json()
    assert readings_count(session) == 1
