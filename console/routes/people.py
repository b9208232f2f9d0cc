"""People, teams and invites (admin), with bulk import and printable sheets."""

from __future__ import annotations

import base64

from flask import current_app, redirect, request, url_for

from app.clock import now_utc
from app.errors import Unprocessable
from app.extensions import db
from app.models import ROLES
from app.schemas import InviteIn, TeamIn, UserIn, UserPatch
from app.service import (
    create_invite,
    create_team,
    create_user,
    organisation_for,
    teams_with_member_counts,
    update_user,
    user_in_org,
)
from console import people_import, queries
from console.blueprint import bp
from console.qr import qr_data_uri
from console.web import (
    client_ip,
    current_user,
    form_data,
    page,
    render,
    saved,
    small_int,
    t,
    uploaded_file,
)

LABELS = {"username": "people.username", "display_name": "people.display_name",
          "team_id": "common.team", "role": "common.role", "employee_no": "people.employee_no",
          "password": "people.password", "name": "people.team_name",
          "max_uses": "people.max_uses", "expires_at": "people.expires_at",
          "is_active": "people.active"}


def _org(org_id: int):
    return organisation_for(db.session, current_user(), org_id, "admin")


def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"]


def _filters() -> dict:
    role = request.args.get("role", "")
    return {"team_id": small_int(request.args.get("team_id")),
            "role": role if role in ROLES else None}


@bp.route("/orgs/<int:org_id>/people", methods=["GET"])
@page("admin")
def people(org_id):
    """People (filtered by team or role, a page at a time), teams, invites and the import."""
    org = _org(org_id)
    filters = _filters()
    listing = queries.people_page(db.session, org.id, filters, request.args.get("cursor"))
    teams = teams_with_member_counts(db.session, org)
    return render("people.html", title=t("people.title"), org=org, people=listing.items,
                  next_cursor=listing.next_cursor, filters=filters, teams=teams,
                  team_names={team["id"]: team["name"] for team in teams}, roles=ROLES,
                  invites=queries.org_invites(db.session, org.id))


@bp.route("/orgs/<int:org_id>/people", methods=["POST"])
@page("admin")
def people_create(org_id):
    """Add one person (password optional: WeChat users have none)."""
    org = _org(org_id)
    data = form_data(UserIn(), LABELS, blank_is_none=("team_id", "employee_no"))
    create_user(db.session, current_user(), org, data, client_ip(), _hash_method())
    db.session.commit()
    return saved(url_for("console.people", org_id=org.id))


@bp.route("/orgs/<int:org_id>/people/<int:user_id>", methods=["GET"])
@page("admin")
def person(org_id, user_id):
    """One person: name, team, role, status, password."""
    org = _org(org_id)
    return render("person.html", title=t("people.people"), org=org,
                  person=user_in_org(db.session, org, user_id),
                  teams=teams_with_member_counts(db.session, org), roles=ROLES)


@bp.route("/orgs/<int:org_id>/people/<int:user_id>", methods=["POST"])
@page("admin")
def person_update(org_id, user_id):
    """Change a person; deactivating them also ends their console sessions."""
    org = _org(org_id)
    target = user_in_org(db.session, org, user_id)
    changes = form_data(UserPatch(), LABELS, blank_is_none=("team_id", "employee_no"),
                        extra={"show_on_leaderboard": "show_on_leaderboard" in request.form,
                               "is_active": "is_active" in request.form})
    update_user(db.session, current_user(), org, target, changes, client_ip(), _hash_method(),
                now_utc())
    db.session.commit()
    return saved(url_for("console.person", org_id=org.id, user_id=target.id))


@bp.route("/orgs/<int:org_id>/teams", methods=["POST"])
@page("admin")
def teams_create(org_id):
    """Add a team."""
    org = _org(org_id)
    create_team(db.session, current_user(), org, form_data(TeamIn(), LABELS)["name"],
                client_ip())
    db.session.commit()
    return saved(url_for("console.people", org_id=org.id) + "#teams")


@bp.route("/orgs/<int:org_id>/invites", methods=["POST"])
@page("admin")
def invites_create(org_id):
    """An invite code for a team and role; printable with its QR code."""
    org = _org(org_id)
    data = form_data(InviteIn(), LABELS, blank_is_none=("team_id",))
    invite = create_invite(db.session, current_user(), org, data, client_ip(), now_utc())
    db.session.commit()
    return redirect(url_for("console.invite_sheet", org_id=org.id, ids=invite.id), 303)


@bp.route("/orgs/<int:org_id>/invites/sheet", methods=["GET"])
@page("admin")
def invite_sheet(org_id):
    """A printable sheet of invite codes with QR codes (the latest, or `?ids=1,2`)."""
    org = _org(org_id)
    ids = [i for i in map(small_int, request.args.get("ids", "").split(",")) if i is not None]
    invites = queries.org_invites(db.session, org.id, ids[:100] or None)
    teams = {team["id"]: team["name"] for team in teams_with_member_counts(db.session, org)}
    cards = [{"invite": i, "team": teams.get(i.team_id), "qr": qr_data_uri(i.code)}
             for i in invites]
    return render("invite_sheet.html", title=t("people.invite_sheet"), org=org, cards=cards)


@bp.route("/orgs/<int:org_id>/people/import", methods=["POST"])
@page("admin")
def people_import_submit(org_id):
    """检查 lists every row's errors and saves nothing; 全部导入 saves all rows or none."""
    org = _org(org_id)
    filename, content = uploaded_file()
    if not content:
        raise Unprocessable(details={"文件": ["请选择文件 (choose a file)"]})
    rows = people_import.read_table(filename, content)
    if request.form.get("mode") != "import":
        checks = people_import.check_rows(db.session, current_user(), org, rows)
        return render("import_check.html", 422 if any(c.errors for c in checks) else 200,
                      title=t("people.import"), org=org, checks=checks, filename=filename,
                      content=base64.b64encode(content).decode())
    created = people_import.import_people(db.session, current_user(), org, rows, client_ip(),
                                          _hash_method())
    db.session.commit()
    login_url = url_for("console.login", _external=True)
    cards = [{"person": p, "qr": qr_data_uri(f"{login_url}?username={p.username}")}
             for p in created]
    return render("import_done.html", title=t("people.invite_sheet"), org=org, cards=cards)
