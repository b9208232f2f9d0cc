"""Reports as CSV: UTF-8 with a BOM so that Excel opens Chinese text correctly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

UTF8_BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# OpenAPI for a route that answers CSV with ?format=csv: its 200 may be text/csv, beside JSON
# (an int key: flask-smorest keys responses by int, and a "200" would replace the JSON one).
CSV_ALTERNATIVE_DOC = {"responses": {200: {"content": {
    "text/csv": {"schema": {"type": "string", "description": "UTF-8 with a BOM, header row"}}}}}}


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """One header row, then the rows; None is written as an empty cell, text made safe."""
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else safe_cell(value) for value in row])
    return buffer.getvalue()


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading `'`; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename: str, header: Sequence[str],
                 rows: Iterable[Sequence[object]]) -> Response:
    """A download named `filename` (ASCII, so every browser keeps it)."""
    response = Response(csv_text(header, rows).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
