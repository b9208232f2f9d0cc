"""Publicity weeks and open days (organizer): create and edit (rules fixed once started, as
the API does), live progress with team standings and a projector mode, QR posters."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for

from app.clock import now_utc
from app.csv_export import csv_response
from app.errors import NotFound
from app.extensions import db
from app.service import organisation_for
from campaigns import service
from campaigns.models import CampaignEvent
from campaigns.report import campaign_report
from campaigns.report_csv import COLUMNS, report_rows
from campaigns.schemas import CampaignEventIn, CampaignIn, CampaignPatch
from console import queries
from console.blueprint import bp
from console.campaign_forms import LABELS, campaign_rules
from console.qr import qr_data_uri
from console.web import client_ip, current_user, form_data, page, render, saved, t

LIVE_REFRESH_S = 10  # CONSOLE_LIVE_REFRESH_S overrides (tests poll faster)


def _org(org_id: int):
    return organisation_for(db.session, current_user(), org_id, "organizer")


def _campaign(org, campaign_id: int):
    """A campaign of this organisation (or its region); anything else is 404."""
    campaign = service.visible_campaign(db.session, current_user(), campaign_id)
    if campaign.org_id != org.id and campaign.region != org.region:
        raise NotFound()
    return campaign


@bp.route("/orgs/<int:org_id>/campaigns", methods=["GET"])
@page("organizer")
def campaigns(org_id):
    """The organisation's publicity weeks, with the form for a new one."""
    org, now = _org(org_id), now_utc()
    rows = [service.campaign_view(c, now) for c in queries.campaigns_of_org(db.session, org)]
    return render("campaigns.html", title=t("campaigns.title"), org=org, campaigns=rows)


@bp.route("/orgs/<int:org_id>/campaigns", methods=["POST"])
@page("organizer")
def campaigns_create(org_id):
    """A new publicity week for this organisation."""
    org = _org(org_id)
    data = campaign_rules(CampaignIn(), org_id=org.id)
    campaign = service.create_campaign(db.session, current_user(), data, client_ip())
    db.session.commit()
    return saved(url_for("console.campaign", org_id=org.id, campaign_id=campaign.id))


@bp.route("/orgs/<int:org_id>/campaigns/<int:campaign_id>", methods=["GET"])
@page("organizer")
def campaign(org_id, campaign_id):
    """One publicity week: its rules (locked once started), open days and their posters."""
    org, now = _org(org_id), now_utc()
    detail = service.campaign_detail(db.session, current_user(),
                                     _campaign(org, campaign_id).id, now)
    return render("campaign.html", title=detail["name"], org=org, c=detail,
                  started=detail["status"] != "upcoming")


@bp.route("/orgs/<int:org_id>/campaigns/<int:campaign_id>", methods=["POST"])
@page("organizer")
def campaign_update(org_id, campaign_id):
    """Edit: before the start anything; afterwards the description and a later end only."""
    org, now = _org(org_id), now_utc()
    campaign = service.writable_campaign(db.session, current_user(),
                                         _campaign(org, campaign_id).id)
    service.update_campaign(db.session, current_user(), campaign,
                            campaign_rules(CampaignPatch()), now, client_ip())
    db.session.commit()
    return saved(url_for("console.campaign", org_id=org.id, campaign_id=campaign.id))


@bp.route("/orgs/<int:org_id>/campaigns/<int:campaign_id>/events", methods=["POST"])
@page("organizer")
def events_create(org_id, campaign_id):
    """A new open day inside the campaign, with its check-in code."""
    org = _org(org_id)
    campaign = service.writable_campaign(db.session, current_user(),
                                         _campaign(org, campaign_id).id)
    event = service.create_event(db.session, current_user(), campaign,
                                 form_data(CampaignEventIn(), LABELS), client_ip())
    db.session.commit()
    return redirect(url_for("console.event_poster", org_id=org.id, campaign_id=campaign.id,
                            event_id=event.id), 303)


def _live(org_id: int, campaign_id: int) -> dict:
    org, now = _org(org_id), now_utc()
    detail = service.campaign_detail(db.session, current_user(),
                                     _campaign(org, campaign_id).id, now)
    return {"org": org, "c": detail, "now": now, "refresh_s": _refresh_s()}


def _refresh_s() -> int:
    return current_app.config.get("CONSOLE_LIVE_REFRESH_S", LIVE_REFRESH_S)


@bp.route("/orgs/<int:org_id>/campaigns/<int:campaign_id>/live", methods=["GET"])
@page("organizer")
def campaign_live(org_id, campaign_id):
    """Progress and team standings that refresh themselves; 投屏模式 fills the screen."""
    context = _live(org_id, campaign_id)
    if request.headers.get("HX-Request"):
        return render("_live.html", **context)
    return render("live.html", title=context["c"]["name"], **context)


@bp.route("/orgs/<int:org_id>/campaigns/<int:campaign_id>/events/<int:event_id>/poster",
          methods=["GET"])
@page("organizer")
def event_poster(org_id, campaign_id, event_id):
    """A printable poster: the QR code opens the staff check-in; the live count below."""
    org = _org(org_id)
    campaign = service.writable_campaign(db.session, current_user(),
                                         _campaign(org, campaign_id).id)
    event = db.session.get(CampaignEvent, event_id)
    if event is None or event.campaign_id != campaign.id:
        raise NotFound()
    if request.headers.get("HX-Request"):
        return render("_checkin_count.html", event=event)
    link = url_for("console.me_checkin", code=event.checkin_code, _external=True)
    return render("poster.html", title=event.name, org=org, campaign=campaign, event=event,
                  qr=qr_data_uri(link), link=link, refresh_s=_refresh_s())


@bp.route("/orgs/<int:org_id>/campaigns/<int:campaign_id>/report.csv", methods=["GET"])
@page("organizer")
def campaign_report_csv(org_id, campaign_id):
    """The campaign report as the API's CSV (teams, behaviours, points, the previous week)."""
    org = _org(org_id)
    report = campaign_report(db.session, current_user(), _campaign(org, campaign_id).id,
                             current_app.extensions["factor_registry"], now_utc())
    return csv_response(f"campaign-{campaign_id}-report.csv", COLUMNS, report_rows(report))
