"""Tokens and passwords. The only module that imports `jwt`.

Access tokens are short-lived HS256 JWTs with a `kid` naming the signing key, so
SECRET_KEY can rotate (old keys stay in PREVIOUS_SECRET_KEYS until their tokens
expire). Refresh tokens are opaque, stored hashed, and rotate on every use; a
used one presented again revokes its whole family (a stolen token is noticed).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, wraps

import jwt
from flask import current_app, g, request
from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session, contains_eager
from werkzeug.security import check_password_hash, generate_password_hash

from app import directory
from app.clock import now_utc
from app.errors import ApiError, Forbidden, Unauthorized
from app.models import RefreshToken, User, role_at_least
from app.redis_store import get_gateway
from app.signals import sessions_ended

ALGORITHMS = ["HS256"]
CLOCK_SKEW_S = 60  # a token issued by another node whose clock runs slightly ahead


class RefreshTokenReused(ApiError):
    """A rotated refresh token came back: its family is revoked, and that must persist."""

    status, code = 401, "refresh_token_invalid"
    keep_changes = True


@dataclass(frozen=True)
class TokenSettings:
    keys: dict[str, str]  # kid -> secret
    current_kid: str
    access_ttl_s: int
    refresh_ttl_s: int


def key_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def token_settings(config) -> TokenSettings:
    secrets_in_order = [config["SECRET_KEY"], *config.get("PREVIOUS_SECRET_KEYS", [])]
    keys = {key_id(s): s for s in secrets_in_order}
    return TokenSettings(keys, key_id(config["SECRET_KEY"]),
                         config["ACCESS_TOKEN_TTL"], config["REFRESH_TOKEN_TTL"])


def hash_password(password: str, method: str = "scrypt") -> str:
    return generate_password_hash(password, method=method)


@cache
def _dummy_hash(method: str) -> str:
    return hash_password(secrets.token_urlsafe(16), method)


def password_matches(password_hash: str | None, password: str, method: str = "scrypt") -> bool:
    """Verify a password. Without a hash (no such user, or none set) a dummy hash of the same
    method is checked all the same: the answer takes as long, so timing tells nothing."""
    if not password_hash:
        check_password_hash(_dummy_hash(method), password)
        return False
    return check_password_hash(password_hash, password)


def issue_access_token(user: User, settings: TokenSettings, now: datetime,
                       session_id: str | None = None) -> str:
    """`sid` names the login session (refresh family) and `ver` the user's token version:
    either revoked ends the access token at once, as a deactivation does."""
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "org": user.org_id,
        "typ": "access",
        "ver": user.token_version or 0,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + settings.access_ttl_s,
    }
    if session_id:
        claims["sid"] = session_id
    return jwt.encode(claims, settings.keys[settings.current_kid], algorithm="HS256",
                      headers={"kid": settings.current_kid})


def decode_access_token(token: str, settings: TokenSettings, now: datetime) -> dict:
    """Verify signature, algorithm, expiry (on the app's clock) and required claims; 401 on
    any doubt."""
    try:
        header = jwt.get_unverified_header(token)
        secret = settings.keys.get(header.get("kid", ""))
        if secret is None:
            raise Unauthorized("token_invalid")
        # Time claims are checked below against the app's clock, not PyJWT's wall clock.
        claims = jwt.decode(token, secret, algorithms=ALGORITHMS,
                            options={"require": ["exp", "iat", "sub"], "verify_exp": False,
                                     "verify_iat": False, "verify_nbf": False})
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("token_invalid") from exc
    if (claims.get("typ") != "access" or not str(claims["sub"]).isascii()
            or not str(claims["sub"]).isdigit() or not isinstance(claims.get("ver", 0), int)
            or not isinstance(claims.get("sid", ""), str)):
        raise Unauthorized("token_invalid")
    at = now.timestamp()
    if (not isinstance(claims["exp"], int) or claims["exp"] <= at
            or not isinstance(claims["iat"], int) or claims["iat"] > at + CLOCK_SKEW_S
            or not isinstance(claims.get("nbf", 0), int) or claims.get("nbf", 0) > at):
        raise Unauthorized("token_invalid")
    return claims


def _hash_refresh(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_refresh_token(session: Session, user: User, settings: TokenSettings, now: datetime,
                        family_id: str) -> str:
    token = secrets.token_urlsafe(32)
    session.add(RefreshToken(user_id=user.id, family_id=family_id,
                             token_hash=_hash_refresh(token),
                             expires_at=now + timedelta(seconds=settings.refresh_ttl_s)))
    session.flush()
    return token


def token_pair(session: Session, user: User, settings: TokenSettings, now: datetime,
               family_id: str | None = None) -> dict:
    family_id = family_id or str(uuid.uuid4())
    return {
        "access_token": issue_access_token(user, settings, now, family_id),
        "refresh_token": issue_refresh_token(session, user, settings, now, family_id),
        "token_type": "Bearer",
        "expires_in": settings.access_ttl_s,
        "user": user,
        "enrolled": user.enrolled,
    }


def rotate_refresh_token(session: Session, token: str, settings: TokenSettings,
                         now: datetime) -> dict:
    """Exchange a refresh token for a new pair; a second use revokes the family."""
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == _hash_refresh(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("refresh_token_invalid")
    # Conditional update: of two concurrent uses exactly one wins; the other is a reuse.
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None),
               RefreshToken.revoked_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        revoke_family(session, row.user_id, row.family_id, now)
        raise RefreshTokenReused()
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("refresh_token_invalid")
    return token_pair(session, user, settings, now, family_id=row.family_id)


def revoke_family(session: Session, user_id: int, family_id: str, now: datetime) -> None:
    """End one sign-in session: its refresh tokens, and its access tokens at once."""
    session.execute(update(RefreshToken)
                    .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    directory.forget(session, users=[user_id])


def revoke_refresh_tokens(session: Session, user: User, token: str | None, now: datetime) -> None:
    """Log out: revoke the session of the given refresh token, or every session of the user."""
    if not token:
        end_every_session(session, user, now)
        return
    row = session.scalar(select(RefreshToken).where(
        RefreshToken.token_hash == _hash_refresh(token), RefreshToken.user_id == user.id))
    if row is not None:
        revoke_family(session, user.id, row.family_id, now)


def end_every_session(session: Session, user: User, now: datetime) -> None:
    """Revoke every refresh token of the user and end every access token issued before now."""
    session.execute(update(RefreshToken)
                    .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    session.execute(update(User).where(User.id == user.id)
                    .values(token_version=User.token_version + 1)
                    .execution_options(synchronize_session=False))
    session.refresh(user, ["token_version"])
    directory.forget(session, users=[user.id])
    sessions_ended.send(session, user_id=user.id)


def set_password(session: Session, user: User, password: str, method: str,
                 now: datetime) -> None:
    """A new password ends every session: whoever knew the old one is signed out."""
    user.password_hash = hash_password(password, method)
    session.flush()
    end_every_session(session, user, now)


# --- request side -----------------------------------------------------------------

def bearer_claims() -> dict:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return decode_access_token(token.strip(), token_settings(current_app.config), now_utc())


def authenticated(min_role: str = "staff", *, enrolled: bool = True, load_user: bool = True,
                  before_load=None, cached: bool = False, lock_user: bool = False):
    """Route decorator: a valid token, an active user, and at least `min_role`.

    The user row is read on every request so that a role change, a deactivation, a logout
    or a password change takes effect at once rather than when the token expires.
    `cached`: the person may come from Redis instead (`app.directory`, where every such
    change is seen at once too); `current_user()` is then a `directory.Viewer` (id, org_id,
    team_id, role), not a `User`. `before_load(claims)` runs before the database is touched
    (a rate limit). `lock_user`: the statement reading the person also locks their row
    for the request's transaction (`lock_person`'s FOR NO KEY UPDATE, PostgreSQL), for
    routes whose work starts with that lock: one round trip instead of two.
    """

    if cached and lock_user:
        raise ValueError("a person read from the directory cache cannot be locked")

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            claims = bearer_claims()
            g.token_claims = claims
            if before_load is not None:
                before_load(claims)
            if load_user:
                from app.extensions import db

                if cached:
                    user = directory.viewer_of(db.session, get_gateway(current_app), claims,
                                               _load_user)
                else:
                    user = _load_user(db.session, claims, lock=lock_user)
                if user is None:
                    raise Unauthorized("token_invalid")
                if enrolled and not user.enrolled and user.role != "superadmin":
                    raise Forbidden("not_enrolled")
                if not role_at_least(user.role, min_role):
                    raise Forbidden()
                g.user = user
                g.actor_ids = (user.id, user.org_id)  # for log lines (app/request_log.py)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _load_user(session: Session, claims: dict, lock: bool = False) -> User | None:
    """The token's user if the token still stands (active user, same token version, session
    not revoked) and, in the same statement, their organisation: most routes need its time
    zone or region next, and `session.get(Organisation, ...)` then finds it without a query.
    `lock`: the user's row stays locked until the transaction ends."""
    row = session.execute(_user_with_organisation(lock), {
        "user_id": int(claims["sub"]), "session_id": claims.get("sid")}).first()
    if row is None:
        return None
    user, session_revoked = row
    if (session_revoked or not user.is_active
            or (user.token_version or 0) != claims.get("ver", 0)):
        return None
    return user


@cache
def _user_with_organisation(lock: bool):
    # Built once: composing an ORM join costs more Python than the round trip it saves.
    session_revoked = exists().where(RefreshToken.family_id == bindparam("session_id"),
                                     RefreshToken.revoked_at.is_not(None))
    statement = (select(User, session_revoked.label("session_revoked"))
                 .outerjoin(User.organisation)
                 .options(contains_eager(User.organisation))
                 .where(User.id == bindparam("user_id")))
    # The same lock as `activities.logbook.lock_person` (SQLite ignores it: one writer).
    return statement.with_for_update(key_share=True, of=User) if lock else statement


def current_user() -> User:
    return g.user


def client_ip() -> str | None:
    return request.remote_addr
