"""Request side of API keys: `Authorization: ApiKey <key>` on key routes only.

The user routes' bearer check refuses any other scheme (401), so a key opens no user route;
`key_required` refuses a bearer token, so a user token opens no key route.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from app.auth import authenticated
from app.clock import now_utc
from app.errors import Unauthorized
from app.extensions import db
from app.ratelimit import check_rate
from app.redis_store import get_gateway
from machines import keys
from machines.models import ApiKey


def _presented_key() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "apikey":
        return None
    return value.strip()


def _use_key(presented: str, scope: str) -> ApiKey:
    now = now_utc()
    key = keys.authenticate_key(db.session, presented, scope, now)
    check_rate(get_gateway(current_app), f"apikey:{key.id}",
               current_app.config["API_KEY_REQUESTS_PER_MINUTE"], 60)
    keys.record_use(db.session, key, now)
    db.session.commit()  # the last use stands even when the request itself is refused later
    g.api_key = key
    return key


def key_required(scope: str):
    """Route decorator: a live API key holding `scope` (401 / 403), rate-limited per key."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            presented = _presented_key()
            if not presented:
                raise Unauthorized("api_key_invalid")
            _use_key(presented, scope)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def key_or_user(scope: str, min_role: str):
    """A key holding `scope`, or a signed-in user of at least `min_role`."""

    def decorator(view):
        as_user = authenticated(min_role)(view)

        @wraps(view)
        def wrapper(*args, **kwargs):
            presented = _presented_key()
            if presented is None:
                g.api_key = None
                return as_user(*args, **kwargs)
            _use_key(presented, scope)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_key() -> ApiKey | None:
    return g.get("api_key")
