"""Admin pages beside the catalogue: points adjustments, reports with exports, audit log."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, request, url_for

from activities.review_decisions import decide_review, list_reviews
from activities.schemas import DecisionIn
from app.clock import now_utc
from app.csv_export import csv_response
from app.errors import Unprocessable
from app.extensions import db
from app.models import REGIONS, SECTORS
from app.schemas import OrganisationIn, OrganisationPatch
from app.service import create_organisation, organisation_for, update_organisation
from console import queries
from console.blueprint import bp
from console.exports import xlsx_response
from console.web import client_ip, current_user, form_data, page, render, saved, small_int, t
from points.policy import policy_of, update_policy
from points.schemas import AdjustmentIn, PointsPolicyPatch
from points.service import adjust_points
from reports.points_report import points_report, points_report_table
from reports.schemas import OrgReportQuery
from reports.service import behaviour_names, org_report
from reports.tables import org_report_table

ADJUST_LABELS = {"user_id": "adjust.person", "delta": "adjust.delta", "reason": "adjust.reason"}
REVIEWS_SHOWN = 50
REPORT_SERIES = (("co2e_saved_kg", "dash.co2e", "bar"), ("points_issued", "dash.points_issued",
                 "line"), ("points_redeemed", "dash.points_redeemed", "line"),
                 ("active_users", "dash.active_users", "line"))


def _org(org_id: int):
    return organisation_for(db.session, current_user(), org_id, "admin")


@bp.route("/orgs/<int:org_id>/adjustments", methods=["GET"])
@page("admin")
def adjustments(org_id):
    """Add or remove a person's points with a required reason; the latest adjustments."""
    org = _org(org_id)
    return render("adjustments.html", title=t("adjust.title"), org=org,
                  username=request.args.get("username", "")[:64],
                  recent=queries.recent_adjustments(db.session, org.id))


@bp.route("/orgs/<int:org_id>/adjustments", methods=["POST"])
@page("admin")
def adjustments_create(org_id):
    """The adjustment, audited, in the person's statement at once."""
    org = _org(org_id)
    person = queries.user_by_username(db.session, org.id, request.form.get("username", ""))
    if person is None:
        raise Unprocessable(details={t("adjust.person"): [t("adjust.unknown_person")]})
    data = form_data(AdjustmentIn(), ADJUST_LABELS, extra={"user_id": person.id})
    entry = adjust_points(db.session, current_user(), org, data, now_utc(), client_ip())
    db.session.commit()
    flash(t("adjust.done", person=person.display_name, delta=f"{entry.delta:+d}",
            balance=entry.balance_after), "ok")
    return redirect(url_for("console.adjustments", org_id=org.id), 303)


def _report(org_id: int):
    query = form_data(OrgReportQuery(), fields=request.args)
    report = org_report(db.session, current_user(), org_id, query.get("year"),
                        current_app.extensions["factor_registry"], now_utc())
    return report, query["format"]


@bp.route("/orgs/<int:org_id>/reports", methods=["GET"])
@page("admin")
def reports(org_id):
    """The year month by month beside the year before; chart; CSV and XLSX downloads."""
    report, _format = _report(org_id)
    points = points_report(db.session, current_user(), org_id, report["year"], now_utc())
    return render("reports.html", title=t("reports.title"), report=report, points=points,
                  org=_org(org_id),
                  chart_url=url_for("console.reports_chart", org_id=org_id, year=report["year"]))


@bp.route("/orgs/<int:org_id>/reports/chart.json", methods=["GET"])
@page("admin")
def reports_chart(org_id):
    """The year's months and the same months of the year before, as ECharts series."""
    report, _format = _report(org_id)
    months = report["months"]
    series = []
    for key, label, kind in REPORT_SERIES:
        series.append({"name": t(label), "type": kind, "yAxisIndex": 0 if kind == "bar" else 1,
                       "data": [float(m[key]) if key == "co2e_saved_kg" else m[key]
                                for m in months]})
    series.append({"name": f"{t(REPORT_SERIES[0][1])} · {report['previous_year']}",
                   "type": "line", "yAxisIndex": 0,
                   "data": [float(m["previous"]["co2e_saved_kg"]) for m in months]})
    return jsonify({"categories": [m["period"] for m in months], "series": series,
                    "second_axis": t("common.points")})


@bp.route("/orgs/<int:org_id>/reports/export", methods=["GET"])
@page("admin")
def reports_export(org_id):
    """`?format=csv` (the API's CSV) or `?format=xlsx` of the same table."""
    fmt = request.args.get("format", "csv")
    args = request.args.copy()
    args["format"] = "csv"
    query = form_data(OrgReportQuery(), fields=args)
    report = org_report(db.session, current_user(), org_id, query.get("year"),
                        current_app.extensions["factor_registry"], now_utc())
    name, table = f"org-{org_id}-{report['year']}", org_report_table(report)
    if request.args.get("kind") == "points":
        name = f"org-{org_id}-points-{report['year']}"
        table = points_report_table(points_report(db.session, current_user(), org_id,
                                                  report["year"], now_utc()))
    if fmt == "xlsx":
        return xlsx_response(f"{name}.xlsx", *table)
    return csv_response(f"{name}.csv", *table)


@bp.route("/orgs/<int:org_id>/audit", methods=["GET"])
@page("admin")
def audit(org_id):
    """Who changed what, newest first, a page at a time."""
    org = _org(org_id)
    rows, next_before = queries.audit_page(db.session, org.id,
                                           small_int(request.args.get("before")))
    return render("audit.html", title=t("audit.title"), org=org, rows=rows,
                  next_before=next_before)


ORG_LABELS = {"name": "org.name", "region": "region.region", "sector": "region.sector",
              "headcount": "region.headcount", "floor_area_m2": "org.floor_area",
              "timezone": "org.timezone"}


@bp.route("/orgs/<int:org_id>/settings", methods=["GET"])
@page("admin")
def org_settings(org_id):
    """The institution's record: name, region, sector, headcount, floor area, time zone."""
    org = _org(org_id)
    return render("org_settings.html", title=t("org.title"), org=org, regions=REGIONS,
                  sectors=SECTORS, policy=policy_of(db.session, org.id))


@bp.route("/orgs/<int:org_id>/settings", methods=["POST"])
@page("admin")
def org_settings_update(org_id):
    """Change the record (audited); per-capita figures use the new headcount from now."""
    org = _org(org_id)
    update_organisation(db.session, current_user(), org, form_data(OrganisationPatch(),
                                                                   ORG_LABELS), client_ip())
    db.session.commit()
    return saved(url_for("console.org_settings", org_id=org.id))


@bp.route("/orgs", methods=["POST"])
@page("superadmin")
def org_create():
    """Coordinator: register an institution, then add its first admin on its people page."""
    org = create_organisation(db.session, current_user(), form_data(OrganisationIn(),
                                                                    ORG_LABELS), client_ip())
    db.session.commit()
    return saved(url_for("console.people", org_id=org.id))


POLICY_LABELS = {"grams_per_point": "policy.grams_per_point",
                 "monthly_earn_cap": "policy.monthly_earn_cap",
                 "expiry_months": "policy.expiry_months",
                 "point_value_yuan": "policy.point_value_yuan",
                 "annual_budget_yuan": "policy.annual_budget_yuan"}


@bp.route("/orgs/<int:org_id>/settings/points-policy", methods=["POST"])
@page("admin")
def points_policy_update(org_id):
    """What a point is worth and may cost: a new rate or cap applies to later entries."""
    org = _org(org_id)
    changes = form_data(PointsPolicyPatch(), POLICY_LABELS, blank_is_none=(
        "monthly_earn_cap", "expiry_months", "annual_budget_yuan"))
    update_policy(db.session, current_user(), org, changes, now_utc(), client_ip())
    db.session.commit()
    return saved(url_for("console.org_settings", org_id=org.id) + "#policy")


REVIEW_STATUSES = ("open", "accepted", "voided")


@bp.route("/orgs/<int:org_id>/reviews", methods=["GET"])
@page("admin")
def reviews(org_id):
    """Flagged self-reported entries (open first), each with accept or void and a reason."""
    org = _org(org_id)
    status = request.args.get("status", "open")
    status = status if status in REVIEW_STATUSES else "open"
    page_ = list_reviews(db.session, org, status, REVIEWS_SHOWN, request.args.get("cursor"))
    return render("reviews.html", title=t("reviews.title"), org=org, reviews=page_.items,
                  next_cursor=page_.next_cursor, shown=status, statuses=REVIEW_STATUSES,
                  names=queries.display_names(db.session, {r.user_id for r in page_.items}),
                  behaviours=behaviour_names(current_app.extensions["factor_registry"]))


@bp.route("/orgs/<int:org_id>/reviews/<int:review_id>", methods=["POST"])
@page("admin")
def review_decide(org_id, review_id):
    """Accept, or void (points and carbon reversed; the person sees the reason)."""
    org = _org(org_id)
    data = form_data(DecisionIn(), {"decision": "reviews.decision", "reason": "common.reason"})
    decide_review(db.session, current_user(), review_id, data["decision"], data["reason"],
                  now_utc(), client_ip())
    db.session.commit()
    return saved(url_for("console.reviews", org_id=org.id))
