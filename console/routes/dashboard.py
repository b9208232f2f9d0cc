"""An institution's dashboard and its chart data (admin of the institution, or coordinator)."""

from __future__ import annotations

from flask import current_app, jsonify, url_for

from app.clock import now_utc
from app.extensions import db
from console import dashboard
from console.blueprint import bp
from console.web import current_user, page, render, t

SERIES_LABELS = {"co2e_saved_kg": "dash.co2e", "points_issued": "dash.points_issued",
                 "points_redeemed": "dash.points_redeemed", "active_users": "dash.active_users"}


def _registry():
    return current_app.extensions["factor_registry"]


@bp.route("/orgs/<int:org_id>", methods=["GET"])
@page("admin")
def dashboard_page(org_id):
    """This month against last month and the same month a year before, with a chart."""
    view = dashboard.org_dashboard(db.session, current_user(), org_id, _registry(), now_utc())
    return render("dashboard.html", title=t("dash.title", org=view["org"]["name"]), view=view,
                  chart_url=url_for("console.dashboard_chart", org_id=org_id))


@bp.route("/orgs/<int:org_id>/chart.json", methods=["GET"])
@page("admin")
def dashboard_chart(org_id):
    """Twelve months of carbon, points and participation as ECharts series (JSON)."""
    chart = dashboard.org_chart(db.session, current_user(), org_id, _registry(), now_utc())
    for series in chart["series"]:
        series["name"] = t(SERIES_LABELS[series["key"]])
    chart["second_axis"] = t("common.points")
    return jsonify(chart)
