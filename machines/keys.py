"""API keys: issued once, kept as SHA-256, scoped to an organisation or a region.

A key reads `bth_<public_id>_<secret>`: the public id finds the row by its unique index,
the secret (256 bits from `secrets`) is compared by its hash in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.audit import record_audit
from app.errors import Forbidden, NotFound, Unauthorized, Unprocessable
from app.models import Organisation, User
from app.pagination import Page, paginate_newest_first
from machines.models import ApiKey

ORG_SCOPES = ("energy:write",)
REGION_SCOPES = ("exchange:read",)
PREFIX = "bth"
# Last use is written at most this often per key: a gateway pushing every second costs no
# write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise Unprocessable(details={"expires_at": ["必须晚于现在 (must be in the future)"]})


def _check_scopes(scopes: list[str], allowed: tuple[str, ...]) -> list[str]:
    unknown = [s for s in scopes if s not in allowed]
    if unknown or not scopes:
        raise Unprocessable(details={"scopes": [f"可用范围 (allowed): {', '.join(allowed)}"]})
    return sorted(set(scopes))


def _issue(session: Session, actor: User, data: dict, now: datetime, *,
           org_id: int | None, region: str | None, allowed: tuple[str, ...],
           ip: str | None) -> dict:
    scopes = _check_scopes(data["scopes"], allowed)
    _check_expiry(data.get("expires_at"), now)
    public_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    key = ApiKey(public_id=public_id, secret_hash=_hash(secret), name=data["name"],
                 org_id=org_id, region=region, scopes=scopes, created_by=actor.id,
                 created_at=now, expires_at=data.get("expires_at"))
    session.add(key)
    session.flush()
    record_audit(session, actor, "api_key.create", "api_key", key.id,
                 {"name": key.name, "scopes": scopes, "region": region,
                  "expires_at": key.expires_at}, org_id=org_id, ip=ip)
    return {**key_view(key), "key": f"{PREFIX}_{public_id}_{secret}"}


def issue_org_key(session: Session, actor: User, org: Organisation, data: dict, now: datetime,
                  ip: str | None = None) -> dict:
    return _issue(session, actor, data, now, org_id=org.id, region=None, allowed=ORG_SCOPES,
                  ip=ip)


def issue_region_key(session: Session, actor: User, data: dict, now: datetime,
                     ip: str | None = None) -> dict:
    return _issue(session, actor, data, now, org_id=None, region=data["region"],
                  allowed=REGION_SCOPES, ip=ip)


def key_view(key: ApiKey) -> dict:
    return {"id": key.id, "name": key.name, "org_id": key.org_id, "region": key.region,
            "scopes": key.scopes, "prefix": f"{PREFIX}_{key.public_id}",
            "created_at": key.created_at, "expires_at": key.expires_at,
            "revoked_at": key.revoked_at, "last_used_at": key.last_used_at}


def list_keys(session: Session, org_id: int | None, limit: int, cursor: str | None) -> Page:
    """An organisation's keys, or (None) the region keys, newest first, without secrets."""
    stmt = select(ApiKey).where(ApiKey.org_id.is_(None) if org_id is None
                                else ApiKey.org_id == org_id)
    page = paginate_newest_first(session, stmt, ApiKey.id, limit, cursor)
    page.items = [key_view(k) for k in page.items]
    return page


def revoke_key(session: Session, actor: User, key_id: int, now: datetime,
               ip: str | None = None) -> ApiKey:
    """Revoke at once; an organisation key by its admins, a region key by the coordinator."""
    key = session.get(ApiKey, key_id)
    if key is None or not _may_manage(actor, key):
        raise NotFound()
    if key.revoked_at is None:
        key.revoked_at = now
        record_audit(session, actor, "api_key.revoke", "api_key", key.id, {"name": key.name},
                     org_id=key.org_id, ip=ip)
        session.flush()
    return key


def _may_manage(actor: User, key: ApiKey) -> bool:
    if actor.role == "superadmin":
        return True
    return key.org_id is not None and key.org_id == actor.org_id and actor.role == "admin"


def parse_key(presented: str) -> tuple[str, str]:
    prefix, _, rest = presented.partition("_")
    public_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not public_id or not secret:
        raise Unauthorized("api_key_invalid")
    return public_id, secret


def authenticate_key(session: Session, presented: str, scope: str, now: datetime) -> ApiKey:
    """The live key for `presented` (401 unknown, revoked or expired), with `scope` (403)."""
    public_id, secret = parse_key(presented)
    key = session.scalar(select(ApiKey).where(ApiKey.public_id == public_id))
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        raise Unauthorized("api_key_invalid")
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise Unauthorized("api_key_invalid")
    if scope not in key.scopes:
        raise Forbidden("api_key_scope")
    return key


def record_use(session: Session, key: ApiKey, now: datetime) -> None:
    """Note the use, at most once per LAST_USED_RESOLUTION (one conditional UPDATE)."""
    if key.last_used_at is not None and key.last_used_at > now - LAST_USED_RESOLUTION:
        return
    session.execute(update(ApiKey).where(
        ApiKey.id == key.id,
        or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_RESOLUTION))
        .values(last_used_at=now))
    key.last_used_at = now
