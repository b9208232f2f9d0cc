"""QR codes as data URIs (SVG) for printed sheets and phone screens."""

from __future__ import annotations

import segno


def qr_data_uri(text: str) -> str:
    return segno.make_qr(text, error="m").svg_data_uri(scale=6, border=2)
