"""Password rules: long enough for the account's role and not among the most common.

The deny-list is the 19,640 most common passwords, most frequent first (Royce Williams'
list as shipped with Django, `django/contrib/auth/common-passwords.txt.gz`, CC BY 3.0).
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from app.errors import field_error

DENY_LIST = Path(__file__).with_name("common-passwords.txt.gz")
MIN_LENGTH = 8
# Accounts that move points and people for a whole organisation need more.
PRIVILEGED_MIN_LENGTH = 12
PRIVILEGED_ROLES = frozenset({"organizer", "admin", "superadmin"})


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(DENY_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def min_length_for(role: str) -> int:
    return PRIVILEGED_MIN_LENGTH if role in PRIVILEGED_ROLES else MIN_LENGTH


def password_problem(password: str, role: str, username: str | None = None) -> str | None:
    """The code of what makes `password` too weak for an account of `role`, or None."""
    if len(password) < min_length_for(role):
        return "password_too_short"
    lowered = password.lower()
    if (lowered in common_passwords() or len(set(lowered)) <= 2
            or (username and username.lower() in lowered)):
        return "password_too_common"
    return None


def check_password_strength(password: str, role: str, username: str | None = None) -> None:
    """422 `password_too_short` or `password_too_common`, with the reason under `password`."""
    code = password_problem(password, role, username)
    if code is not None:
        params = {"min_length": min_length_for(role)}
        raise field_error(code, "password", params)
