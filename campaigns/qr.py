"""The check-in code as a QR image for the open-day poster (SVG, so it prints sharp)."""

from __future__ import annotations

import io

import segno


def qr_svg(code: str) -> str:
    """An SVG QR code holding the check-in code (the mini-program scans it and checks in)."""
    out = io.BytesIO()
    segno.make_qr(code, error="m").save(out, kind="svg", scale=8, border=4, xmldecl=False,
                                        title=code)
    return out.getvalue().decode()
