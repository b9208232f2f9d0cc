"""Console sign-in sessions as plain functions: start, look up, end (one or all of a person's).

The browser holds a random key in a signed cookie; the row holds its SHA-256, so a copy
of the table opens nothing. A session ends when it is revoked (退出, or the person is
deactivated), when it expires, or when its person is no longer active.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, contains_eager

from app.models import User
from app.service import login_user
from console.models import ConsoleSession


@dataclass(frozen=True)
class SignedIn:
    user: User
    key: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(session: Session, username: str, password: str, ttl: timedelta,
                  now: datetime, ip: str | None) -> SignedIn:
    """Check the password as /auth/login does and open a session row (401 on any doubt)."""
    user = login_user(session, username, password)
    key = secrets.token_urlsafe(32)
    session.add(ConsoleSession(user_id=user.id, key_hash=_hash(key), created_at=now,
                               expires_at=now + ttl, ip=ip))
    session.flush()
    return SignedIn(user, key)


def user_of_session(session: Session, key: str | None, now: datetime) -> User | None:
    """The active person behind a live session key, with their organisation; else None."""
    if not key:
        return None
    row = session.scalar(
        select(ConsoleSession).join(ConsoleSession.user).outerjoin(User.organisation)
        .options(contains_eager(ConsoleSession.user).contains_eager(User.organisation))
        .where(ConsoleSession.key_hash == _hash(key), ConsoleSession.revoked_at.is_(None),
               ConsoleSession.expires_at > now))
    if row is None or not row.user.is_active:
        return None
    return row.user


def end_session(session: Session, key: str | None, now: datetime) -> None:
    """Sign one browser out (退出)."""
    if key:
        session.execute(update(ConsoleSession)
                        .where(ConsoleSession.key_hash == _hash(key),
                               ConsoleSession.revoked_at.is_(None))
                        .values(revoked_at=now))


def end_sessions_of(session: Session, user_id: int, now: datetime) -> int:
    """Sign a person out everywhere (on deactivation); answers how many sessions ended."""
    return session.execute(update(ConsoleSession)
                           .where(ConsoleSession.user_id == user_id,
                                  ConsoleSession.revoked_at.is_(None))
                           .values(revoked_at=now)).rowcount
