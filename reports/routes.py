"""HTTP routes of the reports and the public disclosure (JSON, or CSV with ?format=csv)."""

from __future__ import annotations

from flask import current_app

from app.auth import authenticated, client_ip, current_user
from app.clock import now_utc
from app.csv_export import CSV_ALTERNATIVE_DOC, csv_response
from app.openapi import Blueprint, documented_json
from app.ratelimit import check_rate
from app.redis_store import get_gateway
from app.replica import report_session
from reports import points_report, service, tables
from reports.schemas import (
    DisclosureOut,
    DisclosureQuery,
    OrgReportOut,
    OrgReportQuery,
    PointsReportOut,
    RegionReportOut,
    RegionReportQuery,
)

blp = Blueprint("reports", __name__, url_prefix="/api/v1",
                description="报表与信息公开 (reports and disclosure)")

PUBLIC = [{}]  # OpenAPI: no bearer token needed
# The public page is open to anyone: requests per client address in a fixed window.
DISCLOSURE_REQUESTS_PER_WINDOW = 60
DISCLOSURE_WINDOW_S = 60


def _registry():
    return current_app.extensions["factor_registry"]


def _scope_name(query: dict) -> str:
    return query.get("region") or "all"


@blp.route("/reports/orgs/<int:org_id>", methods=["GET"])
@authenticated("admin", cached=True)  # the person as the board reads them (app.directory)
@blp.arguments(OrgReportQuery, location="query")
@blp.response(200, OrgReportOut)
@blp.doc(**CSV_ALTERNATIVE_DOC)
def org_report(query, org_id):
    """An institution's year by month beside the same month of the year before."""
    report = service.org_report(report_session(), current_user(), org_id, query.get("year"),
                                _registry(), now_utc(), get_gateway(current_app))
    if query["format"] == "csv":
        return csv_response(f"org-{org_id}-{report['year']}.csv",
                            *tables.org_report_table(report))
    return documented_json(report)  # held to OrgReportOut by tests/reports/test_org_report.py


@blp.route("/reports/orgs/<int:org_id>/points", methods=["GET"])
@authenticated("admin")
@blp.arguments(OrgReportQuery, location="query")
@blp.response(200, PointsReportOut)
@blp.doc(**CSV_ALTERNATIVE_DOC)
def org_points_report(query, org_id):
    """Points issued, redeemed and expired by month; liability and budget used."""
    report = points_report.points_report(report_session(), current_user(), org_id,
                                         query.get("year"), now_utc())
    if query["format"] == "csv":
        return csv_response(f"org-{org_id}-points-{report['year']}.csv",
                            *points_report.points_report_table(report))
    return report


@blp.route("/reports/region", methods=["GET"])
@authenticated("superadmin", enrolled=False)
@blp.arguments(RegionReportQuery, location="query")
@blp.response(200, RegionReportOut)
@blp.doc(**CSV_ALTERNATIVE_DOC)
def region_report(query):
    """Institutions of a region side by side: totals, per capita, ranks within their sector."""
    report = service.region_report(report_session(), query.get("region"), query.get("year"),
                                   now_utc())
    if query["format"] == "csv":
        return csv_response(f"region-{_scope_name(query)}-{report['year']}.csv",
                            *tables.region_report_table(report))
    return report


@blp.route("/public/disclosure", methods=["GET"])
@blp.doc(security=PUBLIC)
@blp.arguments(DisclosureQuery, location="query")
@blp.response(200, DisclosureOut)
@blp.doc(**CSV_ALTERNATIVE_DOC)
def public_disclosure(query):
    """Aggregates for anyone: no personal data; groups of fewer than 10 people withheld."""
    check_rate(get_gateway(current_app), f"disclosure:{client_ip()}",
               DISCLOSURE_REQUESTS_PER_WINDOW, DISCLOSURE_WINDOW_S)
    report = service.public_disclosure(report_session(), query.get("region"), query.get("year"),
                                       _registry(), now_utc())
    if query["format"] == "csv":
        return csv_response(f"disclosure-{_scope_name(query)}-{report['year']}.csv",
                            *tables.disclosure_table(report))
    return report
