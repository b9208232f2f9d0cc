"""The redemption counter (admin): 取货码 + 核销, and the end-of-day sheet."""

from __future__ import annotations

from flask import request, url_for

from app.clock import now_utc
from app.errors import NotFound
from app.extensions import db
from app.service import organisation_for
from console import counter, queries
from console.blueprint import bp
from console.web import client_ip, current_user, page, render, saved, t
from points import redemptions


def _page(org, result=None, status=200):
    sheet = counter.day_sheet(db.session, org, now_utc())
    if request.headers.get("HX-Request"):
        return render("_counter_result.html", status, org=org, result=result, sheet=sheet,
                      oob=True)
    return render("counter.html", status, title=t("counter.title"), org=org, result=result,
                  sheet=sheet)


@bp.route("/orgs/<int:org_id>/counter", methods=["GET"])
@page("admin")
def counter_page(org_id):
    """The pickup-code field and today's sheet."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    return _page(org)


@bp.route("/orgs/<int:org_id>/counter", methods=["POST"])
@page("admin")
def counter_hand_over(org_id):
    """Hand over the claim with the typed or scanned pickup code."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    reason = request.form.get("override_reason", "").strip()[:200] or None
    result = counter.hand_over(db.session, current_user(), org,
                               request.form.get("pickup_code", ""), now_utc(), client_ip(), reason)
    db.session.commit()
    return _page(org, result, 200 if result.outcome == "handed_over" else 409
                 if result.outcome != "unknown" else 404)


@bp.route("/orgs/<int:org_id>/counter/<int:redemption_id>/cancel", methods=["POST"])
@page("admin")
def counter_cancel(org_id, redemption_id):
    """Cancel a claim that will not be collected: points and stock come back once."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    claim = redemptions.redemption_in_scope(db.session, current_user(), redemption_id)
    if claim.org_id != org.id:
        raise NotFound()
    redemptions.cancel_redemption(db.session, current_user(), claim.id, now_utc(), client_ip())
    db.session.commit()
    return saved(url_for("console.counter_page", org_id=org.id) + "#pending")


REDEMPTION_STATUSES = ("pending", "fulfilled", "cancelled")
HISTORY_PAGE = 50


@bp.route("/orgs/<int:org_id>/redemptions", methods=["GET"])
@page("admin")
def redemption_history(org_id):
    """Every claim, newest first, by status and person (as GET /orgs/{id}/redemptions)."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    status = request.args.get("status") if request.args.get("status") in REDEMPTION_STATUSES \
        else None
    username = request.args.get("username", "").strip()[:64]
    person = queries.user_by_username(db.session, org.id, username) if username else None
    listing = redemptions.list_org_redemptions(db.session, org, {
        "status": status, "user_id": (person.id if person else -1) if username else None,
        "limit": HISTORY_PAGE, "cursor": request.args.get("cursor") or None})
    return render("redemptions.html", title=t("counter.history"), org=org,
                  items=listing.items, next_cursor=listing.next_cursor, shown=status,
                  username=username, names=queries.display_names(
                      db.session, {r.user_id for r in listing.items}))
