"""Console sign-ins for the bench: session rows written straight into the bench database
and the signed cookies that carry them (what a browser holds after 登录)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import psycopg

COOKIE = "lc_console"
COORDINATOR = "bench_coordinator"


def coordinator_row(url: str) -> tuple[int, str, None]:
    """The bench's superadmin (the seed has none), created once."""
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO users (username, display_name, role, show_on_leaderboard,"
                     " is_active, created_at) VALUES (%s, '区域协调员', 'superadmin', false,"
                     " true, now()) ON CONFLICT (username) DO NOTHING", (COORDINATOR,))
        user_id = conn.execute("SELECT id FROM users WHERE username = %s",
                               (COORDINATOR,)).fetchone()[0]
    return user_id, "superadmin", None


def session_cookies(url: str, secret: str, user_ids: list[int]) -> dict[int, str]:
    """A live console session per user: `Cookie` header values, signed as Flask signs them."""
    from flask import Flask

    app = Flask("bench")
    app.secret_key = secret
    signer = app.session_interface.get_signing_serializer(app)
    now = datetime.now(UTC)
    cookies = {}
    with psycopg.connect(url) as conn:
        for user_id in user_ids:
            key = secrets.token_urlsafe(32)
            conn.execute("INSERT INTO console_sessions (user_id, key_hash, created_at,"
                         " expires_at) VALUES (%s, %s, %s, %s)",
                         (user_id, hashlib.sha256(key.encode()).hexdigest(), now,
                          now + timedelta(hours=6)))
            cookies[user_id] = f"{COOKIE}={signer.dumps({'sid': key})}"
    return cookies

