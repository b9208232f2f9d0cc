"""Baselines for `make bench`: what the stack costs before any domain work.

`/_probe/json` checks the token and answers a small JSON body without touching the
database; `/_probe/commit` checks the token, inserts one row and commits. Served only
when PROBE_ENDPOINTS is set (never in production), outside /api/v1 and the OpenAPI
document. The table exists everywhere so the schema does not depend on a setting.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, jsonify
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.auth import authenticated
from app.clock import now_utc
from app.db import UTCDateTime
from app.extensions import db

bp = Blueprint("probe", __name__, url_prefix="/_probe")


class ProbeWrite(db.Model):
    """One row per commit-baseline request (the cheapest write a request can make)."""

    __tablename__ = "probe_writes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


@bp.get("/json")
@authenticated("staff", enrolled=False, load_user=False)
def json_baseline():
    """Token verified, a small JSON body, no database."""
    return jsonify(ok=True, user_id=int(g.token_claims["sub"]), at=now_utc().isoformat())


@bp.post("/commit")
@authenticated("staff", enrolled=False, load_user=False)
def commit_baseline():
    """Token verified, one row inserted, one commit."""
    row = ProbeWrite(user_id=int(g.token_claims["sub"]), label="probe", created_at=now_utc())
    db.session.add(row)
    db.session.commit()
    return jsonify(id=row.id), 201
