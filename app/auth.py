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
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, contains_eager
from werkzeug.security import check_password_hash, generate_password_hash

from app.clock import now_utc
from app.errors import ApiError, Forbidden, Unauthorized
from app.models import RefreshToken, User, role_at_least

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


def password_matches(password_hash: str | None, password: str) -> bool:
    return bool(password_hash) and check_password_hash(password_hash, password)


def issue_access_token(user: User, settings: TokenSettings, now: datetime) -> str:
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "org": user.org_id,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + settings.access_ttl_s,
    }
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
    if claims.get("typ") != "access" or not str(claims["sub"]).isdigit():
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
                        family_id: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    session.add(RefreshToken(user_id=user.id, family_id=family_id or str(uuid.uuid4()),
                             token_hash=_hash_refresh(token),
                             expires_at=now + timedelta(seconds=settings.refresh_ttl_s)))
    session.flush()
    return token


def token_pair(session: Session, user: User, settings: TokenSettings, now: datetime,
               family_id: str | None = None) -> dict:
    return {
        "access_token": issue_access_token(user, settings, now),
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
        revoke_family(session, row.family_id, now)
        raise RefreshTokenReused()
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("refresh_token_invalid")
    return token_pair(session, user, settings, now, family_id=row.family_id)


def revoke_family(session: Session, family_id: str, now: datetime) -> None:
    session.execute(update(RefreshToken)
                    .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def revoke_refresh_tokens(session: Session, user: User, token: str | None, now: datetime) -> None:
    """Log out: revoke the session of the given refresh token, or every session of the user."""
    query = update(RefreshToken).where(RefreshToken.user_id == user.id,
                                       RefreshToken.revoked_at.is_(None))
    if token:
        row = session.scalar(select(RefreshToken).where(
            RefreshToken.token_hash == _hash_refresh(token), RefreshToken.user_id == user.id))
        if row is None:
            return
        query = query.where(RefreshToken.family_id == row.family_id)
    session.execute(query.values(revoked_at=now))


# --- request side -----------------------------------------------------------------

def bearer_claims() -> dict:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return decode_access_token(token.strip(), token_settings(current_app.config), now_utc())


def authenticated(min_role: str = "staff", *, enrolled: bool = True, load_user: bool = True):
    """Route decorator: a valid token, an active user, and at least `min_role`.

    The user row is read on every request so that a role change or a deactivation
    takes effect at once rather than when the token expires.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            claims = bearer_claims()
            g.token_claims = claims
            if load_user:
                from app.extensions import db

                user = _load_user(db.session, int(claims["sub"]))
                if user is None or not user.is_active:
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


def _load_user(session: Session, user_id: int) -> User | None:
    """The user and, in the same statement, their organisation: most routes need its time
    zone or region next, and `session.get(Organisation, ...)` then finds it without a query."""
    return session.scalar(_user_with_organisation(), {"user_id": user_id})


@cache
def _user_with_organisation():
    # Built once: composing an ORM join costs more Python than the round trip it saves.
    return (select(User).outerjoin(User.organisation)
            .options(contains_eager(User.organisation))
            .where(User.id == bindparam("user_id")))


def current_user() -> User:
    return g.user


def client_ip() -> str | None:
    return request.remote_addr
