"""Reports as CSV: UTF-8 with a BOM so that Excel opens Chinese text correctly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

UTF8_BOM = "\ufeff"
# OpenAPI for a route that answers CSV with ?format=csv: its 200 may be text/csv, beside JSON
# (an int key: flask-smorest keys responses by int, and a "200" would replace the JSON one).
CSV_ALTERNATIVE_DOC = {"responses": {200: {"content": {
    "text/csv": {"schema": {"type": "string", "description": "UTF-8 with a BOM, header row"}}}}}}


# A spreadsheet runs a cell that starts with one of these as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula, neutralised with a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """One header row, then the rows; None is written as an empty cell."""
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def csv_response(filename: str, header: Sequence[str],
                 rows: Iterable[Sequence[object]]) -> Response:
    """A download named `filename` (ASCII, so every browser keeps it)."""
    response = Response(csv_text(header, rows).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
