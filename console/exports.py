"""Report downloads: the API's CSV tables, and the same tables as an XLSX workbook."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from flask import Response

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(filename: str, header: Sequence[str],
                  rows: Iterable[Sequence[object]]) -> Response:
    """One sheet: the header row, then the rows (decimals as numbers, None as empty)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("report")
    sheet.append(list(header))
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    response = Response(out.getvalue(), mimetype=XLSX_MIME)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
