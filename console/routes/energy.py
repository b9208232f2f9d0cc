"""The energy ledger in the console: the institution's page (profile, readings by month and
carrier, corrections with their history, submission, file import, the report with its
chart), and the coordinator's review queue and region comparison.

Every write is the energy domain's own service function; a refused form shows the page
again with each error under its field and nothing saved.
"""

from __future__ import annotations

import base64

from flask import Response, current_app, jsonify, request, url_for

from app.clock import now_utc
from app.csv_export import csv_response
from app.errors import ApiError, NotFound, Unprocessable
from app.extensions import db
from app.i18n import message_for
from app.models import REGIONS, SECTORS, Organisation
from app.service import organisation_for
from console.blueprint import bp
from console.web import (
    current_user,
    form_data,
    language,
    page,
    render,
    saved,
    small_int,
    t,
    uploaded_file,
)
from energy import imports, reports, service, tables
from energy.figures import INDICATORS
from energy.models import SUBMISSION_STATUSES
from energy.schemas import (
    CorrectionIn,
    OrgReportQuery,
    ProfileIn,
    ReadingIn,
    RegionReportQuery,
    ReturnIn,
    SubmissionIn,
    SubmissionQuery,
    TemplateQuery,
)

LABELS = {"building_area_m2": "energy.area", "occupants": "energy.occupants",
          "heating_area_m2": "energy.heating_area", "carrier": "energy.carrier",
          "period": "energy.period", "quantity": "energy.quantity", "unit": "energy.unit",
          "cost_yuan": "energy.cost", "note": "energy.note", "reason": "common.reason",
          "comment": "energy.comment", "year": "common.year", "file": "energy.file"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUEUE_LIMIT = 100


def _methods():
    return current_app.extensions["energy_methods"]


def _org(org_id: int) -> Organisation:
    return organisation_for(db.session, current_user(), org_id, "admin")


def _year() -> int:
    year = small_int(request.args.get("year") or request.form.get("year"))
    if year is not None and 2000 <= year <= 2100:
        return year
    return reports.local_year(now_utc())


def _field_errors(error: ApiError, fields: tuple[str, ...]) -> dict[str, str]:
    """The error's message under each form field its details name (else over the form)."""
    message = message_for(error.message_code or error.code, error.params, language())
    named = [name for name in (error.details or {}) if name in fields]
    if not named:
        extra = "; ".join(f"{k}: {v}" for k, v in (error.details or {}).items()
                          if k not in ("known", "accepted"))
        return {"_form": f"{message} {extra}".strip()}
    return {name: f"{message} {_detail_text(error.details[name])}".strip() for name in named}


def _detail_text(value) -> str:
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)


def _carriers():
    """(key, name in the page's language, units) of every carrier, in the method's order."""
    en = language() == "en"
    return [(c.key, c.name_en if en else c.name_zh, list(c.units))
            for c in _methods().latest.carriers.values()]


def _ledger(org: Organisation, year: int, status: int = 200, *, errors: dict | None = None,
            form: str | None = None):
    """The institution's energy page for `year`; `errors` under the fields of `form`."""
    readings = service.list_readings(db.session, current_user(), _methods(), org.id, year, None)
    grid = {(r["period"], r["carrier"]): r for r in readings}
    periods = [f"{year}-{m:02d}" for m in range(1, 13)]
    if any(r["period"] == str(year) for r in readings):
        periods.append(str(year))
    report = reports.org_report_for(db.session, current_user(), org.id, year,
                                    reports.DEFAULT_BASE_YEAR, now_utc(), _methods())
    profiles = {p["year"]: p for p in service.list_profiles(db.session, current_user(), org.id)}
    return render("energy.html", status, title=t("energy.title"), org=org, year=year,
                  carriers=_carriers(), grid=grid, periods=periods, report=report,
                  profile=profiles.get(year), indicators=INDICATORS, errors=errors or {},
                  form=form, values=request.form if form else {},
                  chart_url=url_for("console.energy_chart_json", org_id=org.id, year=year))


def _refused(org: Organisation, error: ApiError, form: str, fields: tuple[str, ...]):
    db.session.rollback()
    return _ledger(org, _year(), error.status, errors=_field_errors(error, fields), form=form)


@bp.route("/orgs/<int:org_id>/energy", methods=["GET"])
@page("admin")
def energy(org_id):
    """The year's profile, readings by month and carrier with flags, forms, the report."""
    return _ledger(_org(org_id), _year())


@bp.route("/orgs/<int:org_id>/energy/profile", methods=["POST"])
@page("admin")
def energy_profile(org_id):
    """The year's denominators: building area, occupants (用能人数), heating area."""
    org = _org(org_id)
    fields = ("building_area_m2", "occupants", "heating_area_m2", "year")
    try:
        data = form_data(ProfileIn(), blank_is_none=("heating_area_m2",))
        service.put_profile(db.session, current_user(), org.id, _year(), data, now_utc())
    except ApiError as error:
        return _refused(org, error, "profile", fields)
    db.session.commit()
    return saved(url_for("console.energy", org_id=org.id, year=_year()))


@bp.route("/orgs/<int:org_id>/energy/readings", methods=["POST"])
@page("admin")
def energy_reading_add(org_id):
    """One carrier's use in one month (or a base year's total), in the unit typed."""
    org = _org(org_id)
    try:
        data = form_data(ReadingIn(), blank_is_none=("cost_yuan", "note"))
        service.create_reading(db.session, current_user(), _methods(), org.id, data, now_utc())
    except ApiError as error:
        return _refused(org, error, "reading", tuple(ReadingIn().fields))
    db.session.commit()
    return saved(url_for("console.energy", org_id=org.id, year=_year()) + "#readings")


def _reading_page(org: Organisation, reading_id: int, status: int = 200,
                  errors: dict | None = None):
    reading, _ = service.reading_in_scope(db.session, current_user(), reading_id)
    if reading.org_id != org.id:  # a coordinator may open any org: the pair must match
        raise NotFound()
    shown = service.reading_out(_methods(), reading, None)
    history = service.reading_history(db.session, current_user(), reading_id)
    units = _methods().latest.carriers[reading.carrier].units
    partial = request.headers.get("HX-Request")  # opened in place on the ledger page
    template = "_energy_reading.html" if partial else "energy_reading.html"
    return render(template, status, title=t("energy.reading"), org=org,
                  reading=shown, history=history, units=list(units), errors=errors or {},
                  values=request.form, form="correct",
                  carriers={k: n for k, n, _ in _carriers()})


@bp.route("/orgs/<int:org_id>/energy/readings/<int:reading_id>", methods=["GET"])
@page("admin")
def energy_reading(org_id, reading_id):
    """A reading with every version (who, when, why) and the correction form."""
    return _reading_page(_org(org_id), reading_id)


@bp.route("/orgs/<int:org_id>/energy/readings/<int:reading_id>", methods=["POST"])
@page("admin")
def energy_reading_correct(org_id, reading_id):
    """A correction with its required reason (of approved data: a restatement)."""
    org = _org(org_id)
    reading, _ = service.reading_in_scope(db.session, current_user(), reading_id)
    if reading.org_id != org.id:
        raise NotFound()
    try:
        data = form_data(CorrectionIn(), blank_is_none=("cost_yuan",))
        service.correct_reading(db.session, current_user(), _methods(), reading_id, data,
                                now_utc())
    except ApiError as error:
        db.session.rollback()
        return _reading_page(org, reading_id, error.status,
                             _field_errors(error, tuple(CorrectionIn().fields)))
    db.session.commit()
    return saved(url_for("console.energy_reading", org_id=org.id, reading_id=reading_id))


@bp.route("/orgs/<int:org_id>/energy/submissions", methods=["POST"])
@page("admin")
def energy_submit(org_id):
    """Send a month's (or a year's) readings to the coordinator for review."""
    org = _org(org_id)
    try:
        data = form_data(SubmissionIn())
        service.submit_period(db.session, current_user(), org.id, data["period"], now_utc())
    except ApiError as error:
        return _refused(org, error, "submit", ("period",))
    db.session.commit()
    return saved(url_for("console.energy", org_id=org.id, year=_year()) + "#readings")


@bp.route("/orgs/<int:org_id>/energy/import", methods=["POST"])
@page("admin")
def energy_import(org_id):
    """检查 lists every row's errors and saves nothing; 全部导入 saves every row or none."""
    org = _org(org_id)
    filename, content = uploaded_file()
    if not content:
        error = Unprocessable(details={"file": [t("energy.choose_file")]})
        return _refused(org, error, "import", ("file",))
    dry_run = request.form.get("mode") != "import"
    try:
        result = service.import_file(db.session, current_user(), _methods(), org.id, filename,
                                     content, now_utc(), dry_run)
    except ApiError as error:
        db.session.rollback()
        if error.code != "import_rejected":
            return _refused(org, error, "import", ("file",))
        result = {"dry_run": False, "errors": error.details["errors"],
                  "items": error.details["items"], "valid": 0,
                  "invalid": len(error.details["errors"])}
    if dry_run or result["errors"]:
        return render("energy_import.html", 422 if result["errors"] else 200,
                      title=t("energy.import"), org=org, result=result, filename=filename,
                      content=base64.b64encode(content).decode(), year=_year(),
                      labels=LABELS)
    db.session.commit()
    return saved(url_for("console.energy", org_id=org.id, year=_year()) + "#readings")


@bp.route("/orgs/<int:org_id>/energy/template", methods=["GET"])
@page("admin")
def energy_template(org_id):
    """The empty import template (CSV or XLSX) with its columns and one example row."""
    _org(org_id)
    fmt = form_data(TemplateQuery(), fields=request.args)["format"]
    body, mimetype = ((imports.template_xlsx(), XLSX_MIME) if fmt == "xlsx"
                      else (imports.template_csv(), "text/csv; charset=utf-8"))
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="energy-template.{fmt}"'
    return response


def _report(org: Organisation) -> dict:
    query = form_data(OrgReportQuery(), fields=request.args)
    return reports.org_report_for(db.session, current_user(), org.id, query.get("year"),
                                  query.get("base_year") or reports.DEFAULT_BASE_YEAR,
                                  now_utc(), _methods())


@bp.route("/orgs/<int:org_id>/energy/report.csv", methods=["GET"])
@page("admin")
def energy_report_csv(org_id):
    """The organisation report as the API's CSV."""
    org = _org(org_id)
    report = _report(org)
    return csv_response(f"energy-org-{org.id}-{report['year']}.csv",
                        *tables.org_report_table(report))


@bp.route("/orgs/<int:org_id>/energy/chart.json", methods=["GET"])
@page("admin")
def energy_chart_json(org_id):
    """Twelve months: standard coal (kgce, bars) and CO2 (kg, line)."""
    report = _report(_org(org_id))
    months = [m for m in report["months"] if len(m["period"]) == 7]
    return jsonify({"categories": [m["period"] for m in months], "series": [
        {"name": t("energy.kgce"), "type": "bar", "data": [m["kgce"] for m in months]},
        {"name": t("energy.co2e"), "type": "line", "data": [m["co2e_kg"] for m in months]}]})


# --- the coordinator ------------------------------------------------------------------


def _queue(status: int = 200, errors: dict | None = None):
    args = {k: v for k, v in request.args.items() if k in ("region", "status") and v}
    query = form_data(SubmissionQuery(), fields=args)
    listing = service.list_submissions(db.session, query.get("region"), query.get("status"),
                                       QUEUE_LIMIT, None)
    ids = {s.org_id for s in listing.items}
    orgs = {o.id: o for o in db.session.query(Organisation).filter(Organisation.id.in_(ids))}
    return render("energy_reviews.html", status, title=t("energy.reviews"),
                  submissions=listing.items, orgs=orgs, regions=REGIONS,
                  statuses=SUBMISSION_STATUSES, query=query, errors=errors or {})


@bp.route("/energy/reviews", methods=["GET"])
@page("superadmin")
def energy_reviews():
    """The review queue: submissions by region and status, newest first."""
    return _queue()


@bp.route("/energy/reviews/<int:submission_id>/approve", methods=["POST"])
@page("superadmin")
def energy_approve(submission_id):
    """Approve: the period's readings are locked (a later correction is a restatement)."""
    service.review_submission(db.session, current_user(), submission_id, True, None, now_utc())
    db.session.commit()
    return saved(url_for("console.energy_reviews"))


@bp.route("/energy/reviews/<int:submission_id>/return", methods=["POST"])
@page("superadmin")
def energy_return(submission_id):
    """Return with a comment: the institution can edit the readings again."""
    try:
        data = form_data(ReturnIn())
        service.review_submission(db.session, current_user(), submission_id, False,
                                  data["comment"], now_utc())
    except ApiError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        errors = _field_errors(error, ("comment",))
        return _queue(error.status, {submission_id: errors})
    db.session.commit()
    return saved(url_for("console.energy_reviews"))


@bp.route("/energy/region", methods=["GET"])
@page("superadmin")
def energy_region():
    """The region's energy table: by sector, each institution ranked within its sector."""
    args = {k: v for k, v in request.args.items() if v and k != "format"}
    query = form_data(RegionReportQuery(), fields=args)
    year = query.get("year") or reports.local_year(now_utc())
    report = reports.region_report(db.session, query.get("region"), year,
                                   query.get("base_year") or reports.DEFAULT_BASE_YEAR,
                                   now_utc(), query.get("sector"))
    if request.args.get("format") == "csv":
        return csv_response(f"energy-region-{query.get('region') or 'all'}-{year}.csv",
                            *tables.region_report_table(report))
    return render("energy_region.html", title=t("energy.region"), report=report,
                  regions=REGIONS, sectors=SECTORS, query=query, indicators=INDICATORS)
