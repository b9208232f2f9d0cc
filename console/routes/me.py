"""The staff page: log a behaviour with its estimate first (行为, 数量, 记录), points and
history, rewards and redemption (a double click redeems once), pickup codes, check-in."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for

from activities import logbook, service, summary
from activities.schemas import ActivityIn, EstimateIn
from app.clock import now_utc
from app.errors import NotFound
from app.extensions import db
from app.i18n import message_for
from app.idempotency import run_idempotent
from app.schemas import EnrolIn, ProfilePatch
from app.service import enrol_user, teams_with_member_counts, update_profile
from campaigns.checkins import check_in
from campaigns.schemas import CheckinIn
from console.blueprint import bp
from console.qr import qr_data_uri
from console.web import (
    current_user,
    form_data,
    language,
    new_idempotency_key,
    page,
    render,
    saved,
    t,
)
from points import redemptions, rewards
from points.schemas import MAX_IDEMPOTENCY_KEY, REDEEM_OUT
from points.service import points_statement

LABELS = {"type": "me.behaviour", "quantity": "me.quantity", "code": "me.checkin_code"}
ENROL_LABELS = {"invite_code": "people.code", "display_name": "people.display_name",
                "employee_no": "people.employee_no"}
PROFILE_LABELS = {"display_name": "people.display_name", "team_id": "common.team"}
RECENT = 10


def place_today(user, now):
    """The person's organisation-local date (entries of that day can be voided)."""
    return service.place_of(db.session, user).today(now)


def _registry():
    return current_app.extensions["factor_registry"]


@bp.route("/me", methods=["GET"])
@page("staff")
def me():
    """Everything a staff member does without the mini-program, on one page."""
    user, now = current_user(), now_utc()
    if user.org_id is None:
        return render("me.html", title=t("me.title"), enrolled=False)
    catalogue = service.activity_catalogue(db.session, user, _registry(), now)
    names = {b["key"]: b["name_en"] if language() == "en" else b["name_zh"] for b in catalogue}
    return render(
        "me.html", title=t("me.title"), enrolled=True, names=names, catalogue=catalogue,
        summary=summary.summarise(db.session, user, _registry(), now),
        history=service.activity_history(db.session, user, {}, RECENT, None).items,
        statement=points_statement(db.session, user, RECENT, None),
        rewards=rewards.list_rewards_on_offer(db.session, user, None, now, 50, None).items,
        claims=[{"redemption": r, "qr": qr_data_uri(r.pickup_code) if r.status == "pending"
                 else None}
                for r in redemptions.list_my_redemptions(db.session, user, None, RECENT,
                                                         None).items],
        client_id=new_idempotency_key(), idempotency_key=new_idempotency_key(),
        checkin_code=request.args.get("code", "")[:32], today=place_today(user, now),
        teams=teams_with_member_counts(db.session, user.organisation))


@bp.route("/me/estimate", methods=["POST"])
@page("staff")
def me_estimate():
    """The estimate of the entry being typed (htmx fragment); logs nothing."""
    if not request.form.get("type") or not request.form.get("quantity"):
        return render("_estimate.html", estimate=None)
    data = form_data(EstimateIn(), LABELS)
    return render("_estimate.html", estimate=service.estimate_carbon(
        db.session, current_user(), data["type"], data["quantity"], _registry(), now_utc()))


@bp.route("/me/activities", methods=["POST"])
@page("staff")
def me_log():
    """记录: the behaviour is logged once per form (its client_id makes a resend a replay)."""
    entry = form_data(ActivityIn(), LABELS)
    logged = logbook.log_activity(db.session, current_user(), entry, _registry(), now_utc())
    activity = logged.activity
    db.session.commit()
    flash(t("me.logged", kg=f"{activity.co2e_saved_g / 1000:.3f}", points=activity.points), "ok")
    return redirect(url_for("console.me"), 303)


@bp.route("/me/rewards/<int:reward_id>/redeem", methods=["POST"])
@page("staff")
def me_redeem(reward_id):
    """兑换 with the form's idempotency key: a double click or a resend redeems once."""
    user, now = current_user(), now_utc()
    key = request.form.get("idempotency_key", "").strip()[:MAX_IDEMPOTENCY_KEY]
    key = redemptions.idempotency_key_required(key)

    def work():
        claim = redemptions.claim_reward(db.session, user, reward_id, now)
        return REDEEM_OUT.dump(claim.answer), 201, lambda: claim.take_last_unit(db.session)

    response = run_idempotent(db.session, user_id=user.id, scope="redeem", key=key,
                              payload={"reward_id": reward_id}, now=now, work=work)
    body = response.get_json()
    if response.status_code == 201:
        flash(t("me.redeemed", code=body["redemption"]["pickup_code"]), "ok")
    else:
        error = body["error"]
        flash(message_for(error["code"], None, language()), "error")
    return redirect(url_for("console.me") + "#redemptions", 303)


@bp.route("/me/redemptions/<int:redemption_id>/cancel", methods=["POST"])
@page("staff")
def me_cancel(redemption_id):
    """Cancel one's own pending redemption: points and stock come back."""
    redemption = redemptions.redemption_in_scope(db.session, current_user(), redemption_id)
    if redemption.user_id != current_user().id:
        raise NotFound()
    redemptions.cancel_redemption(db.session, current_user(), redemption.id, now_utc(), None)
    db.session.commit()
    return saved(url_for("console.me") + "#redemptions")


@bp.route("/me/checkin", methods=["GET"])
@page("staff")
def me_checkin():
    """The open-day QR link lands here: the code filled in, one button to check in."""
    return redirect(url_for("console.me", code=request.args.get("code", "")[:32]) + "#checkin")


@bp.route("/me/checkin", methods=["POST"])
@page("staff")
def me_checkin_submit():
    """Check in at an open day with its code (once per event)."""
    data = form_data(CheckinIn(), LABELS)
    result = check_in(db.session, current_user(), data["code"], now_utc())
    db.session.commit()
    flash(t("me.checked_in", points=result["points"]), "ok")
    return redirect(url_for("console.me"), 303)


@bp.route("/me/activities/<int:activity_id>/void", methods=["POST"])
@page("staff")
def me_void(activity_id):
    """撤销 an entry on the day it was logged: its points and carbon move back."""
    logbook.void_activity(db.session, current_user(), activity_id, now_utc())
    db.session.commit()
    return saved(url_for("console.me") + "#history")


@bp.route("/me/profile", methods=["POST"])
@page("staff")
def me_profile():
    """One's own name, team and whether one appears on leaderboards."""
    changes = form_data(ProfilePatch(), PROFILE_LABELS, blank_is_none=("team_id",),
                        extra={"show_on_leaderboard": "show_on_leaderboard" in request.form})
    update_profile(db.session, current_user(), changes)
    db.session.commit()
    return saved(url_for("console.me") + "#profile")


@bp.route("/me/enrol", methods=["POST"])
@page("staff")
def me_enrol():
    """Join an organisation and team with an invite code (as /auth/enrol does)."""
    data = form_data(EnrolIn(), ENROL_LABELS, blank_is_none=("employee_no",))
    enrol_user(db.session, current_user(), data["invite_code"], data["display_name"],
               data["employee_no"], now_utc())
    db.session.commit()
    return saved(url_for("console.me"))
