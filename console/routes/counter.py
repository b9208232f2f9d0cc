"""The redemption counter (admin): 取货码 + 核销, and the end-of-day sheet."""

from __future__ import annotations

from flask import request, url_for

from app.clock import now_utc
from app.errors import NotFound
from app.extensions import db
from app.service import organisation_for
from console import counter
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
    result = counter.hand_over(db.session, current_user(), org,
                               request.form.get("pickup_code", ""), now_utc(), client_ip())
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
