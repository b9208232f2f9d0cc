"""HTTP routes of identity and organisations: auth, parse, one service call, dump."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app import service
from app.auth import (
    authenticated,
    client_ip,
    current_user,
    revoke_refresh_tokens,
    rotate_refresh_token,
    token_settings,
)
from app.clock import now_utc
from app.extensions import db
from app.models import AuditEntry, Invite, Organisation, User
from app.openapi import Blueprint
from app.pagination import PageQuery, paginate_newest_first
from app.ratelimit import check_rate, refund_rate
from app.redis_store import get_gateway
from app.schemas import (
    AdminUserOut,
    AuditOut,
    EnrolIn,
    InviteIn,
    InviteOut,
    LoginIn,
    LogoutIn,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    PasswordChangeIn,
    ProfilePatch,
    RefreshIn,
    TeamIn,
    TeamOut,
    TokenOut,
    UserIn,
    UserListQuery,
    UserOut,
    UserPatch,
    WeChatLoginIn,
    page_of,
)
from app.wechat import WeChatSettings, exchange_code

blp = Blueprint("identity", __name__, url_prefix="/api/v1",
                description="登录、单位、团队与人员 (identity and organisations)")
PUBLIC = [{}]  # OpenAPI: no bearer token needed

# Per username and client address: an attacker elsewhere cannot lock the owner out.
LOGIN_ATTEMPTS_PER_MINUTE = 10
# Failed logins per client address across every username (password spraying).
LOGIN_FAILURES_PER_ADDRESS = 30
LOGIN_ADDRESS_WINDOW_S = 15 * 60
# Wrong current passwords per person: a stolen access token must not guess the password.
PASSWORD_CHANGES_PER_WINDOW = 10
PASSWORD_CHANGE_WINDOW_S = 15 * 60


def _settings():
    return token_settings(current_app.config)


def _hash_method():
    return current_app.config["PASSWORD_HASH_METHOD"]


# --- auth -----------------------------------------------------------------------

@blp.route("/auth/login", methods=["POST"])
@blp.doc(security=PUBLIC)
@blp.arguments(LoginIn)
@blp.response(200, TokenOut)
def login(data):
    """Password login -> access and refresh tokens."""
    check_login_rate(data["username"], client_ip())
    pair = service.login_with_password(db.session, data["username"], data["password"],
                                       _settings(), now_utc(), _hash_method())
    db.session.commit()
    login_succeeded(client_ip())
    return pair


def check_login_rate(username: str, address: str | None) -> None:
    """Before a password is checked (API or console): 429 past the limit for this username
    from this address, or past this address's budget of failed logins."""
    gateway, address = get_gateway(current_app), address or "-"
    check_rate(gateway, f"login:{username.lower()}@{address}", LOGIN_ATTEMPTS_PER_MINUTE, 60)
    check_rate(gateway, f"login-address:{address}", LOGIN_FAILURES_PER_ADDRESS,
               LOGIN_ADDRESS_WINDOW_S)


def login_succeeded(address: str | None) -> None:
    """The address's budget counts failures only: a successful login gives its hit back."""
    refund_rate(get_gateway(current_app), f"login-address:{address or '-'}",
                LOGIN_ADDRESS_WINDOW_S)


@blp.route("/auth/wechat", methods=["POST"])
@blp.doc(security=PUBLIC)
@blp.arguments(WeChatLoginIn)
@blp.response(200, TokenOut)
def wechat_login(data):
    """WeChat mini-program login with a `wx.login()` code."""
    config = current_app.config
    openid = exchange_code(data["code"], WeChatSettings(
        config["WECHAT_APPID"], config["WECHAT_SECRET"], config["WECHAT_API_BASE"],
        config["WECHAT_TIMEOUT_SECONDS"]))
    pair = service.login_with_wechat(db.session, openid, _settings(), now_utc())
    db.session.commit()
    return pair


@blp.route("/auth/refresh", methods=["POST"])
@blp.doc(security=PUBLIC)
@blp.arguments(RefreshIn)
@blp.response(200, TokenOut)
def refresh(data):
    """Rotate a refresh token; a reused one revokes its family."""
    pair = rotate_refresh_token(db.session, data["refresh_token"], _settings(), now_utc())
    db.session.commit()
    return pair


@blp.route("/auth/logout", methods=["POST"])
@authenticated(enrolled=False)
@blp.arguments(LogoutIn)
@blp.response(204)
def logout(data):
    """Revoke the given refresh token's session (or all sessions without one)."""
    revoke_refresh_tokens(db.session, current_user(), data.get("refresh_token"), now_utc())
    db.session.commit()


@blp.route("/auth/enrol", methods=["POST"])
@authenticated(enrolled=False)
@blp.arguments(EnrolIn)
@blp.response(200, UserOut)
def enrol(data):
    """Join an organisation and team with an invite code."""
    user = service.enrol_user(db.session, current_user(), data["invite_code"],
                              data["display_name"], data["employee_no"], now_utc())
    db.session.commit()
    return user


@blp.route("/me", methods=["GET"])
@authenticated(enrolled=False)
@blp.response(200, UserOut)
def get_me():
    """The caller's profile."""
    return current_user()


def _check_password_change_rate(claims: dict) -> None:
    check_rate(get_gateway(current_app), f"password-change:{claims['sub']}",
               PASSWORD_CHANGES_PER_WINDOW, PASSWORD_CHANGE_WINDOW_S)


@blp.route("/me/password", methods=["POST"])
@authenticated(enrolled=False, before_load=_check_password_change_rate)
@blp.arguments(PasswordChangeIn)
@blp.response(200, TokenOut)
def change_password(data):
    """Change one's own password: every other session ends; answers a fresh token pair."""
    pair = service.change_own_password(db.session, current_user(), data["current_password"],
                                       data["new_password"], _settings(), _hash_method(),
                                       now_utc())
    db.session.commit()
    return pair


@blp.route("/me", methods=["PATCH"])
@authenticated(enrolled=False)
@blp.arguments(ProfilePatch)
@blp.response(200, UserOut)
def patch_me(data):
    """Edit one's own display name, team and leaderboard visibility."""
    user = service.update_profile(db.session, current_user(), data)
    db.session.commit()
    return user


# --- organisations -------------------------------------------------------------------

@blp.route("/orgs", methods=["POST"])
@authenticated("superadmin")
@blp.arguments(OrganisationIn)
@blp.response(201, OrganisationOut)
def create_org(data):
    """Superadmin: register an institution."""
    org = service.create_organisation(db.session, current_user(), data, client_ip())
    db.session.commit()
    return org


@blp.route("/orgs", methods=["GET"])
@authenticated("superadmin")
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(OrganisationOut))
def list_orgs(query):
    """Superadmin: every institution."""
    return paginate_newest_first(db.session, select(Organisation), Organisation.id,
                                 query["limit"], query["cursor"])


@blp.route("/orgs/<int:org_id>", methods=["GET"])
@authenticated("admin")
@blp.response(200, OrganisationOut)
def get_org(org_id):
    """Admin: the institution's record."""
    return service.organisation_for(db.session, current_user(), org_id, "admin")


@blp.route("/orgs/<int:org_id>", methods=["PATCH"])
@authenticated("admin")
@blp.arguments(OrganisationPatch)
@blp.response(200, OrganisationOut)
def patch_org(data, org_id):
    """Admin: edit headcount, floor area, name or time zone."""
    org = service.organisation_for(db.session, current_user(), org_id, "admin")
    org = service.update_organisation(db.session, current_user(), org, data, client_ip())
    db.session.commit()
    return org


@blp.route("/orgs/<int:org_id>/teams", methods=["POST"])
@authenticated("admin")
@blp.arguments(TeamIn)
@blp.response(201, TeamOut)
def create_team(data, org_id):
    """Admin: add a team."""
    org = service.organisation_for(db.session, current_user(), org_id, "admin")
    team = service.create_team(db.session, current_user(), org, data["name"], client_ip())
    db.session.commit()
    return {"id": team.id, "org_id": team.org_id, "name": team.name, "members": 0,
            "created_at": team.created_at}


@blp.route("/orgs/<int:org_id>/teams", methods=["GET"])
@authenticated("staff")
@blp.response(200, page_of(TeamOut))
def list_teams(org_id):
    """Members: the organisation's teams with member counts."""
    org = service.organisation_for(db.session, current_user(), org_id, "staff")
    return {"items": service.teams_with_member_counts(db.session, org), "next_cursor": None}


@blp.route("/orgs/<int:org_id>/users", methods=["POST"])
@authenticated("admin")
@blp.arguments(UserIn)
@blp.response(201, AdminUserOut)
def create_user(data, org_id):
    """Admin: add a person."""
    org = service.organisation_for(db.session, current_user(), org_id, "admin")
    user = service.create_user(db.session, current_user(), org, data, client_ip(), _hash_method())
    db.session.commit()
    return user


@blp.route("/orgs/<int:org_id>/users", methods=["GET"])
@authenticated("admin")
@blp.arguments(UserListQuery, location="query")
@blp.response(200, page_of(AdminUserOut))
def list_users(query, org_id):
    """Admin: the organisation's people, newest first, `?team_id=&role=`."""
    org = service.organisation_for(db.session, current_user(), org_id, "admin")
    stmt = select(User).where(User.org_id == org.id)
    if "team_id" in query:
        stmt = stmt.where(User.team_id == query["team_id"])
    if "role" in query:
        stmt = stmt.where(User.role == query["role"])
    return paginate_newest_first(db.session, stmt, User.id, query["limit"], query["cursor"])


@blp.route("/orgs/<int:org_id>/users/<int:user_id>", methods=["GET"])
@authenticated("admin")
@blp.response(200, AdminUserOut)
def get_user(org_id, user_id):
    """Admin: one person."""
    org = service.organisation_for(db.session, current_user(), org_id, "admin")
    return service.user_in_org(db.session, org, user_id)


@blp.route("/orgs/<int:org_id>/users/<int:user_id>", methods=["PATCH"])
@authenticated("admin")
@blp.arguments(UserPatch)
@blp.response(200, AdminUserOut)
def patch_user(data, org_id, user_id):
    """Admin: change a person's team, role, name, password or status."""
    org = service.organisation_for(db.session, current_user(), org_id, "admin")
    user = service.user_in_org(db.session, org, user_id)
    user = service.update_user(db.session, current_user(), org, user, data, client_ip(),
                               _hash_method(), now_utc())
    db.session.commit()
    return user


@blp.route("/orgs/<int:org_id>/invites", methods=["POST"])
@authenticated("admin")
@blp.arguments(InviteIn)
@blp.response(201, InviteOut)
def create_invite(data, org_id):
    """Admin: an invite code for a team and role."""
    org = service.organisation_for(db.session, current_user(), org_id, "admin")
    invite = service.create_invite(db.session, current_user(), org, data, client_ip(), now_utc())
    db.session.commit()
    return invite


@blp.route("/orgs/<int:org_id>/invites", methods=["GET"])
@authenticated("admin")
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(InviteOut))
def list_invites(query, org_id):
    """Admin: the organisation's invites, newest first."""
    org = service.organisation_for(db.session, current_user(), org_id, "admin")
    return paginate_newest_first(db.session, select(Invite).where(Invite.org_id == org.id),
                                 Invite.id, query["limit"], query["cursor"])


@blp.route("/orgs/<int:org_id>/audit", methods=["GET"])
@authenticated("admin")
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(AuditOut))
def list_audit(query, org_id):
    """Admin: who changed what in the organisation, newest first."""
    org = service.organisation_for(db.session, current_user(), org_id, "admin")
    return paginate_newest_first(db.session, select(AuditEntry).where(AuditEntry.org_id == org.id),
                                 AuditEntry.id, query["limit"], query["cursor"])
