"""The regional coordinator (superadmin): comparison of institutions, disclosure preview;
and `/disclosure`, the public page (no sign-in)."""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for

from app.clock import now_utc
from app.csv_export import csv_response
from app.errors import Unprocessable
from app.extensions import db
from app.models import REGIONS, SECTORS
from app.ratelimit import check_rate
from app.redis_store import get_gateway
from campaigns.schemas import CampaignIn
from campaigns.service import campaign_view, create_campaign
from console import queries
from console.blueprint import bp, public_bp
from console.campaign_forms import campaign_rules
from console.exports import xlsx_response
from console.region import disclosure_preview, region_chart
from console.web import client_ip, current_user, form_data, page, render, saved, t
from reports.routes import DISCLOSURE_REQUESTS_PER_WINDOW, DISCLOSURE_WINDOW_S
from reports.schemas import DisclosureQuery, RegionReportQuery
from reports.service import public_disclosure, region_report
from reports.tables import region_report_table

CHART_LABELS = {"per_capita_co2e_kg": "region.per_capita",
                "participation_rate": "dash.participation"}


def _registry():
    return current_app.extensions["factor_registry"]


def _query(schema) -> dict:
    return form_data(schema, fields=request.args)


@bp.route("/region", methods=["GET"])
@page("superadmin")
def region():
    """Institutions side by side: totals, per capita, participation, sector peer ranks."""
    query = _query(RegionReportQuery())
    report = region_report(db.session, query.get("region"), query.get("year"), now_utc())
    now = now_utc()
    campaigns = [campaign_view(c, now) for c in
                 queries.region_campaigns(db.session, query.get("region"))]
    first_org = {}
    for org in report["organisations"]:
        first_org.setdefault(org["region"], org["id"])
    return render("region.html", title=t("region.title"), report=report, regions=REGIONS,
                  sectors=SECTORS, campaigns=campaigns, first_org=first_org,
                  chart_url=url_for("console.region_chart_json", region=query.get("region"),
                                    year=report["year"]))


@bp.route("/region/campaigns", methods=["POST"])
@page("superadmin")
def region_campaign_create():
    """A publicity week for every institution of a region (its rules as an organizer's)."""
    data = campaign_rules(CampaignIn())
    if data.get("region") is None:
        raise Unprocessable(details={t("region.region"): [t("region.pick_one")]})
    create_campaign(db.session, current_user(), data, client_ip())
    db.session.commit()
    return saved(url_for("console.region", region=data["region"]) + "#campaigns")


@bp.route("/region/export", methods=["GET"])
@page("superadmin")
def region_export():
    """The comparison as the API's CSV (`?format=csv`) or the same table as XLSX."""
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    args = request.args.to_dict()
    args.pop("format", None)
    query = form_data(RegionReportQuery(), fields=args)
    report = region_report(db.session, query.get("region"), query.get("year"), now_utc())
    name = f"region-{query.get('region') or 'all'}-{report['year']}.{fmt}"
    table = region_report_table(report)
    return xlsx_response(name, *table) if fmt == "xlsx" else csv_response(name, *table)


@bp.route("/region/chart.json", methods=["GET"])
@page("superadmin")
def region_chart_json():
    """Per-capita carbon (bars) and participation in percent (line) of each institution."""
    query = _query(RegionReportQuery())
    chart = region_chart(region_report(db.session, query.get("region"), query.get("year"),
                                       now_utc()))
    for series in chart["series"]:
        series["name"] = t(CHART_LABELS[series.pop("key")])
    chart["second_axis"] = "%"
    return jsonify(chart)


@bp.route("/region/disclosure", methods=["GET"])
@page("superadmin")
def disclosure_preview_page():
    """What `/disclosure` will show, beside the actual figures: what is withheld and why."""
    query = _query(DisclosureQuery())
    preview = disclosure_preview(db.session, query.get("region"), query.get("year"),
                                 _registry(), now_utc())
    return render("disclosure_preview.html", title=t("region.disclosure_preview"),
                  preview=preview, regions=REGIONS, region=query.get("region"))


@public_bp.route("/disclosure", methods=["GET"])
def disclosure():
    """The public page: aggregates only, groups of fewer than 10 people withheld."""
    check_rate(get_gateway(current_app), f"disclosure:{client_ip()}",
               DISCLOSURE_REQUESTS_PER_WINDOW, DISCLOSURE_WINDOW_S)
    query = _query(DisclosureQuery())
    report = public_disclosure(db.session, query.get("region"), query.get("year"),
                               _registry(), now_utc())
    return render("disclosure.html", title=t("disclosure.title"), report=report,
                  regions=REGIONS, region=query.get("region"))
