"""Console sign-in sessions: a row per signed-in browser, revocable on the server."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import now_utc
from app.db import UTCDateTime
from app.extensions import db
from app.models import User


class ConsoleSession(db.Model):
    """One browser's sign-in. The cookie carries a random key; only its hash is stored."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user_id_revoked_at", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user: Mapped[User] = relationship(viewonly=True)
