"""Identity and organisations: plain functions over a session, no request state."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import directory
from app.audit import record_audit
from app.auth import TokenSettings, hash_password, password_matches, set_password, token_pair
from app.errors import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    field_error,
)
from app.i18n import FieldMessage
from app.models import Invite, Organisation, Team, User, role_at_least
from app.passwords import check_password_strength
from app.signals import user_deactivated

T = TypeVar("T")

# No 0/O, 1/I/L: codes are read off posters and phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def add_with_fresh_code(session: Session, make_row: Callable[[str], T], attempts: int = 5) -> T:
    """Insert a row carrying a random code, drawing again if the code is already taken."""
    for _attempt in range(attempts):
        row = make_row(random_code())
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            continue
    raise ApiError("conflict", status=409)  # pragma: no cover - 31^8 codes


# --- access ---------------------------------------------------------------------

def organisation_for(session: Session, actor: User, org_id: int, min_role: str) -> Organisation:
    """The organisation if `actor` may act in it with `min_role`; another org's is 404."""
    return permitted_org(actor, org_id, min_role, lambda: session.get(Organisation, org_id))


def permitted_org(actor, org_id: int, min_role: str, load: Callable[[], T | None]) -> T:
    """What `load()` finds of the organisation (its row, or its directory entry) if `actor`
    may act in it with `min_role`: another organisation's is 404 (and not loaded), a
    missing one 404, too low a role in one's own 403."""
    if actor.role != "superadmin" and actor.org_id != org_id:
        raise NotFound()
    org = load()
    if org is None:
        raise NotFound()
    if actor.role != "superadmin" and not role_at_least(actor.role, min_role):
        raise Forbidden()
    return org


def team_in_org(session: Session, org_id: int, team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = session.get(Team, team_id)
    if team is None or team.org_id != org_id:
        raise Unprocessable("team_not_in_org",
                            details={"team_id": [FieldMessage("team_not_in_org")]})
    return team


# --- login ----------------------------------------------------------------------

def find_by_username(session: Session, username: str) -> User | None:
    """Usernames are ASCII and compared without case (`uq_users_username_lower`)."""
    if not username.isascii():
        return None
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def login_user(session: Session, username: str, password: str,
               password_method: str = "scrypt") -> User:
    """The active person with this username and password (401 invalid_credentials). Every
    attempt verifies one hash (a dummy one for an unknown name), so how long it takes tells
    nothing about which names exist."""
    user = find_by_username(session, username)
    matches = password_matches(user.password_hash if user else None, password, password_method)
    if user is None or not user.is_active or not matches:
        raise Unauthorized("invalid_credentials")
    return user


def login_with_password(session: Session, username: str, password: str,
                        settings: TokenSettings, now: datetime,
                        password_method: str = "scrypt") -> dict:
    """Check a password and issue a token pair."""
    return token_pair(session, login_user(session, username, password, password_method),
                      settings, now)


def login_with_wechat(session: Session, openid: str, settings: TokenSettings,
                      now: datetime) -> dict:
    """One openid is one user: find it, or create an unenrolled user for it."""
    user = session.scalar(select(User).where(User.wechat_openid == openid))
    if user is None:
        user = User(username=f"wx_{secrets.token_hex(6)}", display_name="微信用户",
                    wechat_openid=openid, role="staff")
        try:
            with session.begin_nested():
                session.add(user)
        except IntegrityError:  # the same openid logged in concurrently
            user = session.scalar(select(User).where(User.wechat_openid == openid))
    if user is None or not user.is_active:
        raise Unauthorized("invalid_credentials")
    return token_pair(session, user, settings, now)


def enrol_user(session: Session, user: User, invite_code: str, display_name: str,
               employee_no: str | None, now: datetime) -> User:
    """Bind a user to the invite's organisation, team and role, using one invite slot."""
    if user.enrolled:
        raise Conflict("already_enrolled")
    invite = session.scalar(select(Invite).where(Invite.code == invite_code.strip().upper()))
    if invite is None or invite.expires_at <= now:
        raise field_error("invite_invalid", "invite_code")
    # Conditional increment: the last slot goes to exactly one of concurrent enrolments.
    taken = session.execute(update(Invite)
                            .where(Invite.id == invite.id, Invite.uses < Invite.max_uses)
                            .values(uses=Invite.uses + 1)).rowcount
    if taken != 1:
        raise field_error("invite_invalid", "invite_code")
    # Conditional too: of a double-tapped enrolment one wins, the other is already enrolled
    # (and its rollback gives the invite slot back).
    bound = session.execute(update(User)
                            .where(User.id == user.id, User.org_id.is_(None))
                            .values(org_id=invite.org_id, team_id=invite.team_id,
                                    role=invite.role, display_name=display_name,
                                    employee_no=employee_no)).rowcount
    if bound != 1:
        raise Conflict("already_enrolled")
    directory.forget(session, users=[user.id], orgs=[invite.org_id])
    session.refresh(user)
    return user


def change_own_password(session: Session, user: User, current: str, new: str,
                        settings: TokenSettings, password_method: str, now: datetime) -> dict:
    """The person's own new password: every session ends, this one gets a fresh token pair."""
    if not password_matches(user.password_hash, current, password_method):
        raise field_error("current_password_wrong", "current_password")
    check_password_strength(new, user.role, user.username)
    set_password(session, user, new, password_method, now)
    return token_pair(session, user, settings, now)


def update_profile(session: Session, user: User, changes: dict) -> User:
    """A user edits their own display name, team and leaderboard visibility."""
    if "team_id" in changes:
        if user.org_id is None:
            raise Forbidden("not_enrolled")
        team_in_org(session, user.org_id, changes["team_id"])
    for field in ("display_name", "team_id", "show_on_leaderboard"):
        if field in changes:
            setattr(user, field, changes[field])
    session.flush()
    return user


# --- organisations and teams ------------------------------------------------------

def create_organisation(session: Session, actor: User, data: dict, ip: str | None) -> Organisation:
    """Superadmin: register an institution."""
    org = Organisation(**data)
    session.add(org)
    session.flush()
    record_audit(session, actor, "org.create", "organisation", org.id, data, org_id=org.id, ip=ip)
    return org


def update_organisation(session: Session, actor: User, org: Organisation, changes: dict,
                        ip: str | None) -> Organisation:
    before = {k: getattr(org, k) for k in changes}
    for field, value in changes.items():
        setattr(org, field, value)
    session.flush()
    record_audit(session, actor, "org.update", "organisation", org.id,
                 {"before": before, "after": changes}, org_id=org.id, ip=ip)
    return org


def create_team(session: Session, actor: User, org: Organisation, name: str,
                ip: str | None) -> Team:
    team = Team(org_id=org.id, name=name)
    try:
        with session.begin_nested():
            session.add(team)
    except IntegrityError as exc:
        raise Conflict("conflict", details={"name": [FieldMessage("team_name_taken")]}) from exc
    record_audit(session, actor, "team.create", "team", team.id, {"name": name},
                 org_id=org.id, ip=ip)
    return team


def teams_with_member_counts(session: Session, org: Organisation) -> list[dict]:
    counts = dict(session.execute(
        select(User.team_id, func.count(User.id))
        .where(User.org_id == org.id, User.is_active.is_(True)).group_by(User.team_id)).all())
    teams = session.scalars(select(Team).where(Team.org_id == org.id).order_by(Team.id))
    return [{"id": t.id, "org_id": t.org_id, "name": t.name, "members": counts.get(t.id, 0),
             "created_at": t.created_at} for t in teams]


# --- users and invites --------------------------------------------------------------

def _check_grant(actor: User, role: str) -> None:
    if not role_at_least(actor.role, role):
        raise Forbidden("role_not_allowed")


def create_user(session: Session, actor: User, org: Organisation, data: dict, ip: str | None,
                password_method: str) -> User:
    """Admin: add a person to the organisation (password optional: WeChat users have none)."""
    _check_grant(actor, data["role"])
    team_in_org(session, org.id, data.get("team_id"))
    password = data.pop("password", None)
    if password is not None:
        check_password_strength(password, data["role"], data["username"])
    user = User(org_id=org.id, **data,
                password_hash=hash_password(password, password_method) if password else None)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError as exc:
        raise Conflict("username_taken",
                       details={"username": [FieldMessage("username_taken")]}) from exc
    record_audit(session, actor, "user.create", "user", user.id, data, org_id=org.id, ip=ip)
    return user


def user_in_org(session: Session, org: Organisation, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.org_id != org.id:
        raise NotFound()
    return user


def _check_not_locking_self_out(actor: User, user: User, changes: dict) -> None:
    """An admin cannot lower their own role or deactivate themselves: another admin must."""
    if actor.id != user.id:
        return
    if "role" in changes and changes["role"] != user.role:
        raise field_error("cannot_lock_self_out", "role")
    if changes.get("is_active") is False:
        raise field_error("cannot_lock_self_out", "is_active")


def update_user(session: Session, actor: User, org: Organisation, user: User, changes: dict,
                ip: str | None, password_method: str, now: datetime) -> User:
    """Admin: change a person's team, role, name, password or status. A new password signs
    the person out everywhere."""
    if "role" in changes:
        _check_grant(actor, changes["role"])
    if not role_at_least(actor.role, user.role):
        raise Forbidden("role_not_allowed")
    _check_not_locking_self_out(actor, user, changes)
    if "team_id" in changes:
        team_in_org(session, org.id, changes["team_id"])
    password = changes.pop("password", None)
    if password is not None:
        check_password_strength(password, changes.get("role", user.role), user.username)
    before = {k: getattr(user, k) for k in changes}
    for field, value in changes.items():
        setattr(user, field, value)
    session.flush()
    if password is not None:
        set_password(session, user, password, password_method, now)
    if changes.get("is_active") is False:
        user_deactivated.send(session, user_id=user.id)
    record_audit(session, actor, "user.update", "user", user.id,
                 {"before": before, "after": changes, "password_changed": password is not None},
                 org_id=org.id, ip=ip)
    return user


def create_invite(session: Session, actor: User, org: Organisation, data: dict,
                  ip: str | None, now: datetime) -> Invite:
    """Admin: an invite code that enrols people into a team with a role."""
    _check_grant(actor, data["role"])
    team_in_org(session, org.id, data.get("team_id"))
    if data["expires_at"] <= now:
        raise Unprocessable(details={"expires_at": [FieldMessage("must_be_in_future")]})
    invite = add_with_fresh_code(session, lambda code: Invite(
        org_id=org.id, code=code, created_by=actor.id, **data))
    record_audit(session, actor, "invite.create", "invite", invite.id,
                 {**data, "code": invite.code}, org_id=org.id, ip=ip)
    return invite
