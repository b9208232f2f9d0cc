"""Sign-in (登录), sign-out (退出), the landing redirect and the language switch."""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for

from app.clock import now_utc
from app.errors import ApiError
from app.extensions import db
from app.i18n import message_for
from app.routes import check_login_rate, login_succeeded
from console.blueprint import bp
from console.sessions import end_session, start_session
from console.web import (
    SESSION_KEY,
    client_ip,
    language,
    page,
    render,
    safe_next,
    signed_in_user,
    t,
)


@bp.route("/login", methods=["GET"])
def login():
    """The sign-in form (a signed-in person goes straight on)."""
    if signed_in_user() is not None:
        return redirect(safe_next(request.args.get("next")))
    return render("login.html", title=t("login.title"), next=request.args.get("next", ""),
                  username=request.args.get("username", "")[:64])


@bp.route("/login", methods=["POST"])
def login_submit():
    """Check the password as /auth/login does (same throttle), then open a session row."""
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:200]
    try:
        check_login_rate(username, client_ip())
        signed_in = start_session(db.session, username, password,
                                  current_app.config["CONSOLE_SESSION_TTL"], now_utc(),
                                  client_ip())
    except ApiError as error:  # wrong password or throttled: the form again, with why
        db.session.rollback()
        return render("login.html", error.status, title=t("login.title"), username=username,
                      next=request.form.get("next", ""),
                      error=message_for(error.code, error.params, language()))
    db.session.commit()
    login_succeeded(client_ip())
    session.clear()  # a fresh cookie (and CSRF secret) for the new sign-in
    session[SESSION_KEY] = signed_in.key
    return redirect(safe_next(request.form.get("next")), 303)


@bp.route("/logout", methods=["POST"])
def logout():
    """退出: the session row is revoked, so a copied cookie opens nothing either."""
    end_session(db.session, session.get(SESSION_KEY), now_utc())
    db.session.commit()
    session.clear()
    return redirect(url_for("console.login"), 303)


@bp.route("/", methods=["GET"])
@page("staff")
def home():
    """Each role lands on its own work."""
    user = signed_in_user()
    if user.role == "superadmin":
        return redirect(url_for("console.region"))
    if user.role == "admin":
        return redirect(url_for("console.dashboard_page", org_id=user.org_id))
    if user.role == "organizer":
        return redirect(url_for("console.campaigns", org_id=user.org_id))
    return redirect(url_for("console.me"))
