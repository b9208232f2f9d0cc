"""File import and the template: CSV (UTF-8 or GBK) or XLSX, Chinese or English headers.

A file becomes a list of batch items; the batch's rules then apply unchanged (one
implementation). Rows are numbered as a spreadsheet shows them (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import Workbook, load_workbook

from app.csv_export import csv_text, safe_cell
from app.errors import Unprocessable
from energy.factors import EnergyMethod

IMPORT_MAX_BYTES = 8 * 1024 * 1024
IMPORT_ROW_LIMIT = 20_000
COLUMNS = ("period", "carrier", "quantity", "unit", "cost_yuan", "note")
REQUIRED = ("period", "carrier", "quantity", "unit")
COLUMNS_ZH = {"期间": "period", "能源品种": "carrier", "数量": "quantity", "单位": "unit",
              "费用": "cost_yuan", "备注": "note"}
HEADER_ZH = ("期间", "能源品种", "数量", "单位", "费用", "备注")
EXAMPLE_ROW = ("2025-01", "电力", "12345.6", "kWh", "9876.50", "示例行，导入前请删除")
XLSX_MAGIC = b"PK\x03\x04"


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else GBK; anything else is refused, naming the byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gbk")
    except UnicodeDecodeError as error:
        raise Unprocessable("file_encoding_invalid", details={
            "file": [f"无法按 UTF-8 或 GBK 解码，第 {error.start} 字节 "
                     f"(not UTF-8 or GBK at byte {error.start})"],
            "byte_offset": error.start}) from None


def _csv_rows(data: bytes) -> list[list[str]]:
    if b"\x00" in data:
        raise Unprocessable("file_type_unsupported", details={"file": ["binary content"]})
    text = _decode(data)
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise Unprocessable("file_type_unsupported",
                            details={"file": [f"not a readable XLSX: {type(error).__name__}"]}
                            ) from None
    sheet = book.worksheets[0]
    rows = [["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The file's rows of text cells; its kind from its name, checked against its bytes."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(data)
    if name.endswith(".csv") and not data.startswith(XLSX_MAGIC):
        return _csv_rows(data)
    raise Unprocessable("file_type_unsupported", details={"file": [filename or ""]})


def _header(cells: list[str]) -> list[str]:
    names = [COLUMNS_ZH.get(c.strip(), c.strip()) for c in cells]
    while names and names[-1] == "":
        names.pop()
    unknown = [cells[i] for i, n in enumerate(names) if n not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if unknown or missing or duplicated:
        raise Unprocessable("file_columns_invalid", details={
            "unknown": unknown, "missing": missing, "duplicated": duplicated,
            "expected": list(HEADER_ZH), "expected_en": list(COLUMNS)})
    return names


def rows_to_items(rows: list[list[str]], method: EnergyMethod) -> tuple[list[dict], list[int]]:
    """Batch items and the spreadsheet row number of each (blank rows skipped)."""
    if not rows:
        raise Unprocessable("file_columns_invalid", details={"missing": list(REQUIRED)})
    names = _header(rows[0])
    by_name_zh = {c.name_zh: c.key for c in method.carriers.values()}
    items, line_numbers = [], []
    for number, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row[:len(names)]]
        if not any(cells):
            continue
        item = dict(zip(names, cells + [""] * (len(names) - len(cells)), strict=True))
        item["carrier"] = by_name_zh.get(item["carrier"], item["carrier"])
        for optional in ("cost_yuan", "note"):
            if item.get(optional) == "":
                item.pop(optional)
        items.append(item)
        line_numbers.append(number)
    if len(items) > IMPORT_ROW_LIMIT:
        raise Unprocessable("batch_too_large", params={"limit": IMPORT_ROW_LIMIT},
                            details={"file": [f"<= {IMPORT_ROW_LIMIT} rows"]})
    return items, line_numbers


def template_csv() -> bytes:
    return csv_text(HEADER_ZH, [EXAMPLE_ROW]).encode("utf-8")


def template_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "能源数据"
    sheet.append(list(HEADER_ZH))
    sheet.append([safe_cell(c) for c in EXAMPLE_ROW])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
