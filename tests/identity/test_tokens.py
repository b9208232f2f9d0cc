"""Access tokens: every forged or broken token answers 401; keys rotate without logging anyone out.

Tokens are forged by hand (base64url + HMAC), so the tests do not share the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from app.auth import key_id
from tests.identity.conftest import bearer, login


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(claims: dict, secret: str, *, header: dict | None = None,
          digest=hashlib.sha256) -> str:
    header = header if header is not None else {"alg": "HS256", "typ": "JWT",
                                                "kid": key_id(secret)}
    signing_input = (b64url(json.dumps(header).encode()) + "."
                     + b64url(json.dumps(claims).encode()))
    if header.get("alg") == "none":
        return signing_input + "."
    signature = hmac.new(secret.encode(), signing_input.encode(), digest).digest()
    return signing_input + "." + b64url(signature)


def good_claims(user, now: int, **changes) -> dict:
    """Claims of a valid access token issued at `now` (seconds, the app's clock)."""
    claims = {"sub": str(user.id), "role": user.role, "org": user.org_id, "typ": "access",
              "iat": now, "exp": now + 600}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def me(client, token: str):
    return client.get("/api/v1/me", headers=bearer(token))


def assert_token_refused(response):
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in ("token_invalid", "unauthorized")


def test_a_correctly_forged_token_is_accepted(client, app, people, clock):
    """The forging helper is right, so the refusals below are about the one thing changed."""
    now = int(clock.now().timestamp())
    token = forge(good_claims(people.staff, now), app.config["SECRET_KEY"])
    assert me(client, token).status_code == 200


def _alg_none(user, secret, now):
    return forge(good_claims(user, now), secret,
                 header={"alg": "none", "typ": "JWT", "kid": key_id(secret)})


def _alg_hs512(user, secret, now):
    return forge(good_claims(user, now), secret, digest=hashlib.sha512,
                 header={"alg": "HS512", "typ": "JWT", "kid": key_id(secret)})


def _wrong_key(user, secret, now):
    return forge(good_claims(user, now), "an-attackers-guess",
                 header={"alg": "HS256", "typ": "JWT", "kid": key_id(secret)})


def _tampered_payload(user, secret, now):
    head, _payload, signature = forge(good_claims(user, now), secret).split(".")
    promoted = b64url(json.dumps(good_claims(user, now, role="superadmin", sub="1")).encode())
    return f"{head}.{promoted}.{signature}"


def _expired(user, secret, now):
    return forge(good_claims(user, now, iat=now - 3600, exp=now - 60), secret)


def _not_yet_valid(user, secret, now):
    return forge(good_claims(user, now, nbf=now + 3600), secret)


def _unknown_kid(user, secret, now):
    return forge(good_claims(user, now), secret,
                 header={"alg": "HS256", "typ": "JWT", "kid": "0123456789ab"})


def _no_kid(user, secret, now):
    return forge(good_claims(user, now), secret, header={"alg": "HS256", "typ": "JWT"})


def _without(claim):
    def build(user, secret, now):
        claims = good_claims(user, now)
        del claims[claim]
        return forge(claims, secret)
    return build


def _claims(**changes):
    return lambda user, secret, now: forge(good_claims(user, now, **changes), secret)


FORGERIES = {
    "alg_none": _alg_none,
    "alg_not_in_the_allowed_list": _alg_hs512,
    "wrong_key": _wrong_key,
    "tampered_payload": _tampered_payload,
    "expired": _expired,
    "not_yet_valid": _not_yet_valid,
    "missing_exp": _without("exp"),
    "missing_sub": _without("sub"),
    "missing_iat": _without("iat"),
    "unknown_kid": _unknown_kid,
    "missing_kid": _no_kid,
    "not_an_access_token": _claims(typ="refresh"),
    "missing_typ": _without("typ"),
    "non_numeric_sub": _claims(sub="admin"),
    "sub_of_no_user": _claims(sub="987654321"),
    "garbage": lambda user, secret, now: "garbage",
    "three_garbage_parts": lambda user, secret, now: "a.b.c",
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_or_broken_access_token_answers_401(client, app, people, forgery, clock):
    now = int(clock.now().timestamp())
    assert_token_refused(me(client, forgery(people.staff, app.config["SECRET_KEY"], now)))


def test_refresh_token_used_as_access_token_answers_401(client, people):
    pair = login(client, people.staff.username).get_json()
    assert_token_refused(me(client, pair["refresh_token"]))


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "token abc"])
def test_missing_or_malformed_authorization_header_answers_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_token_of_a_deactivated_user_stops_working_at_once(client, make, people, session):
    headers = make.headers(people.staff)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    people.staff.is_active = False
    session.commit()
    assert_token_refused(client.get("/api/v1/me", headers=headers))


def test_a_demotion_takes_effect_before_the_token_expires(client, make, people, session):
    headers = make.headers(people.admin)
    people.admin.role = "staff"
    session.commit()
    response = client.get(f"/api/v1/orgs/{people.org.id}", headers=headers)
    assert response.status_code == 403


# --- key rotation -------------------------------------------------------------------------

def test_token_signed_with_a_previous_key_still_works_after_rotation(client, make, make_app,
                                                                     people, app):
    old_key = app.config["SECRET_KEY"]
    old_token = make.token(people.staff)
    rotated = make_app({"SECRET_KEY": "the-new-signing-key-of-2026-rotation",
                        "PREVIOUS_SECRET_KEYS": [old_key]})
    response = rotated.test_client().get("/api/v1/me", headers=bearer(old_token))
    assert response.status_code == 200
    assert response.get_json()["id"] == people.staff.id


def test_rotated_app_signs_with_the_new_key(make_app, people, client, app):
    rotated = make_app({"SECRET_KEY": "the-new-signing-key-of-2026-rotation",
                        "PREVIOUS_SECRET_KEYS": [app.config["SECRET_KEY"]]})
    new_client = rotated.test_client()
    token = login(new_client, people.staff.username).get_json()["access_token"]
    assert new_client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["kid"] == key_id("the-new-signing-key-of-2026-rotation")
    assert_token_refused(client.get("/api/v1/me", headers=bearer(token)))  # old app: unknown kid


def test_token_of_a_retired_key_answers_401(make, make_app, people):
    old_token = make.token(people.staff)
    retired = make_app({"SECRET_KEY": "the-new-signing-key-of-2026-rotation",
                        "PREVIOUS_SECRET_KEYS": []})
    assert_token_refused(retired.test_client().get("/api/v1/me", headers=bearer(old_token)))
