"""HTTP routes of the institution energy and carbon ledger (API.md)."""

from __future__ import annotations

from flask import Response, current_app, request

from app import metrics
from app.auth import authenticated, client_ip, current_user
from app.clock import now_utc
from app.csv_export import CSV_ALTERNATIVE_DOC, csv_response
from app.extensions import db
from app.openapi import Blueprint
from app.ratelimit import check_rate
from app.redis_store import get_gateway
from app.replica import report_session
from energy import imports, reports, service, tables
from energy.schemas import (
    CorrectionIn,
    DryRunQuery,
    EnergyBatchIn,
    EnergyBatchOut,
    EnergyOrgReportOut,
    EnergyRegionReportOut,
    HistoryOut,
    ImportFileIn,
    OrgReportQuery,
    ProfileIn,
    ProfileListOut,
    ProfileOut,
    PublicEnergyOut,
    PublicEnergyQuery,
    ReadingIn,
    ReadingListOut,
    ReadingOut,
    ReadingQuery,
    RegionReportQuery,
    ReturnIn,
    SubmissionIn,
    SubmissionOut,
    SubmissionPage,
    SubmissionQuery,
    TemplateQuery,
)

blp = Blueprint("energy", __name__, url_prefix="/api/v1",
                description="单位能耗与碳排放台账 (institution energy and carbon ledger)")

PUBLIC = [{}]
PUBLIC_REQUESTS_PER_WINDOW = 60
PUBLIC_WINDOW_S = 60
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _methods():
    return current_app.extensions["energy_methods"]


def _year(query: dict) -> int:
    return query.get("year") or reports.local_year(now_utc())


def _base_year(query: dict) -> int:
    return query.get("base_year") or reports.DEFAULT_BASE_YEAR


# Bodies larger than the 64 KiB of other JSON bodies: 1000 batch items with notes, a file of
# 10,000+ rows (~400 KB as CSV).
LARGE_BODIES = {"energy.batch_readings": 1024 * 1024,
                "energy.import_readings": imports.IMPORT_MAX_BYTES}


@blp.before_request
def allow_large_bodies():
    """Raise the body limit for the batch and the file import only."""
    if request.endpoint in LARGE_BODIES:
        request.max_content_length = LARGE_BODIES[request.endpoint]


@blp.route("/orgs/<int:org_id>/energy/profiles/<int:year>", methods=["PUT"])
@authenticated("admin")
@blp.arguments(ProfileIn)
@blp.response(200, ProfileOut)
def put_profile(data, org_id, year):
    """Set a year's denominators: building area, occupants (用能人数), heating area."""
    result = service.put_profile(db.session, current_user(), org_id, year, data, now_utc())
    db.session.commit()
    return result


@blp.route("/orgs/<int:org_id>/energy/profiles", methods=["GET"])
@authenticated("admin")
@blp.response(200, ProfileListOut)
def list_profiles(org_id):
    """Every year's profile, with the denominator_change flag."""
    return {"items": service.list_profiles(db.session, current_user(), org_id)}


@blp.route("/orgs/<int:org_id>/energy/readings", methods=["POST"])
@authenticated("admin")
@blp.arguments(ReadingIn)
@blp.response(201, ReadingOut)
def create_reading(data, org_id):
    """One carrier's use in one month (YYYY-MM) or year (YYYY), in the unit sent."""
    result = service.create_reading(db.session, current_user(), _methods(), org_id, data,
                                    now_utc())
    db.session.commit()
    metrics.ENERGY_READINGS.inc()
    return result


@blp.route("/orgs/<int:org_id>/energy/readings/batch", methods=["POST"])
@authenticated("admin")
@blp.arguments(DryRunQuery, location="query")
@blp.arguments(EnergyBatchIn)
@blp.response(200, EnergyBatchOut)
def batch_readings(query, data, org_id):
    """Up to 1000 readings: `?dry_run=true` checks only; otherwise all or nothing."""
    result = service.enter_batch(db.session, current_user(), _methods(), org_id, data["items"],
                                 now_utc(), query["dry_run"])
    db.session.commit()
    metrics.ENERGY_READINGS.inc(len(result["created_ids"]))
    return result


@blp.route("/orgs/<int:org_id>/energy/imports", methods=["POST"])
@authenticated("admin")
@blp.arguments(DryRunQuery, location="query")
@blp.arguments(ImportFileIn, location="files")
@blp.response(200, EnergyBatchOut)
def import_readings(query, files, org_id):
    """A CSV (UTF-8 or GBK) or XLSX file of readings, by the batch's rules."""
    upload = files["file"]
    result = service.import_file(db.session, current_user(), _methods(), org_id,
                                 upload.filename or "", upload.read(), now_utc(),
                                 query["dry_run"])
    db.session.commit()
    metrics.ENERGY_READINGS.inc(len(result["created_ids"]))
    return result


@blp.route("/energy/import-template", methods=["GET"])
@authenticated("admin")
@blp.arguments(TemplateQuery, location="query")
@blp.doc(responses={200: {"description": "the template file", "content": {
    "text/csv": {"schema": {"type": "string", "description": "UTF-8 with a BOM"}},
    XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}}})
def import_template(query):
    """An empty import template (csv or xlsx) with the columns and one example row."""
    if query["format"] == "xlsx":
        body, mimetype = imports.template_xlsx(), XLSX_MIME
    else:
        body, mimetype = imports.template_csv(), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="energy-template.{query["format"]}"')
    return response


@blp.route("/orgs/<int:org_id>/energy/readings", methods=["GET"])
@authenticated("admin")
@blp.arguments(ReadingQuery, location="query")
@blp.response(200, ReadingListOut)
@blp.doc(**CSV_ALTERNATIVE_DOC)
def list_readings(query, org_id):
    """The organisation's readings (`?year=&carrier=`), with their flags."""
    items = service.list_readings(db.session, current_user(), _methods(), org_id,
                                  query.get("year"), query.get("carrier"))
    if query["format"] == "csv":
        return csv_response(f"energy-readings-{org_id}.csv", *tables.readings_table(items))
    return {"items": items}


@blp.route("/energy/readings/<int:reading_id>", methods=["PATCH"])
@authenticated("admin")
@blp.arguments(CorrectionIn)
@blp.response(200, ReadingOut)
def correct_reading(data, reading_id):
    """A correction: a new version with its reason (of approved data: a restatement)."""
    result = service.correct_reading(db.session, current_user(), _methods(), reading_id, data,
                                     now_utc())
    db.session.commit()
    return result


@blp.route("/energy/readings/<int:reading_id>/history", methods=["GET"])
@authenticated("admin")
@blp.response(200, HistoryOut)
def reading_history(reading_id):
    """Every version of a reading: values, actor, reason, time."""
    return {"items": service.reading_history(db.session, current_user(), reading_id)}


@blp.route("/orgs/<int:org_id>/energy/submissions", methods=["POST"])
@authenticated("admin")
@blp.arguments(SubmissionIn)
@blp.response(201, SubmissionOut)
def submit_period(data, org_id):
    """Submit a period's readings (a year: every reading of it) for review."""
    submission = service.submit_period(db.session, current_user(), org_id, data["period"],
                                       now_utc())
    db.session.commit()
    return submission


@blp.route("/energy/submissions", methods=["GET"])
@authenticated("superadmin", enrolled=False)
@blp.arguments(SubmissionQuery, location="query")
@blp.response(200, SubmissionPage)
def list_submissions(query):
    """The coordinator's review queue, newest first (`?region=&status=`)."""
    return service.list_submissions(db.session, query.get("region"), query.get("status"),
                                    query["limit"], query["cursor"])


@blp.route("/energy/submissions/<int:submission_id>/approve", methods=["POST"])
@authenticated("superadmin", enrolled=False)
@blp.response(200, SubmissionOut)
def approve_submission(submission_id):
    """Approve: the period's readings are locked (a later correction is a restatement)."""
    result = service.review_submission(db.session, current_user(), submission_id, True, None,
                                       now_utc())
    db.session.commit()
    return result


@blp.route("/energy/submissions/<int:submission_id>/return", methods=["POST"])
@authenticated("superadmin", enrolled=False)
@blp.arguments(ReturnIn)
@blp.response(200, SubmissionOut)
def return_submission(data, submission_id):
    """Return to the institution with a comment: its readings are editable again."""
    result = service.review_submission(db.session, current_user(), submission_id, False,
                                       data["comment"], now_utc())
    db.session.commit()
    return result


@blp.route("/orgs/<int:org_id>/energy/report", methods=["GET"])
@authenticated("admin")
@blp.arguments(OrgReportQuery, location="query")
@blp.response(200, EnergyOrgReportOut)
@blp.doc(**CSV_ALTERNATIVE_DOC)
def org_report(query, org_id):
    """An institution's year: months by carrier, totals, indicators, changes, flags."""
    report = reports.org_report_for(db.session, current_user(), org_id, query.get("year"),
                                    _base_year(query), now_utc(), _methods())
    if query["format"] == "csv":
        return csv_response(f"energy-org-{org_id}-{report['year']}.csv",
                            *tables.org_report_table(report))
    return report


@blp.route("/energy/region", methods=["GET"])
@authenticated("superadmin", enrolled=False)
@blp.arguments(RegionReportQuery, location="query")
@blp.response(200, EnergyRegionReportOut)
@blp.doc(**CSV_ALTERNATIVE_DOC)
def region_report(query):
    """The coordinator's table: ratio-of-totals indicators, by sector, ranks in sector."""
    session = report_session()
    report = reports.region_report(session, query.get("region"), _year(query),
                                   _base_year(query), now_utc(), query.get("sector"))
    if query["peers"]:
        # Supplied by the exchange (machines/), which imports energy, never the reverse.
        peers = current_app.extensions.get("energy_region_peers")
        report["peers"] = peers(session, report["year"], query.get("sector"),
                                query.get("region")) if peers else []
    if query["format"] == "csv":
        return csv_response(f"energy-region-{query.get('region') or 'all'}-{report['year']}.csv",
                            *tables.region_report_table(report))
    return report


@blp.route("/public/energy", methods=["GET"])
@blp.doc(security=PUBLIC)
@blp.arguments(PublicEnergyQuery, location="query")
@blp.response(200, PublicEnergyOut)
@blp.doc(**CSV_ALTERNATIVE_DOC)
def public_energy(query):
    """Public energy disclosure: approved readings only, restated years marked."""
    check_rate(get_gateway(current_app), f"public-energy:{client_ip()}",
               PUBLIC_REQUESTS_PER_WINDOW, PUBLIC_WINDOW_S)
    report = reports.public_energy(report_session(), query.get("region"), _year(query),
                                   _base_year(query), now_utc())
    if query["format"] == "csv":
        return csv_response(f"energy-public-{query.get('region') or 'all'}-{report['year']}.csv",
                            *tables.region_report_table(report))
    return report
