"""HTTP routes of campaigns, open-day events and check-ins: auth, parse, one call, dump."""

from __future__ import annotations

from flask import current_app

from app import metrics
from app.auth import authenticated, client_ip, current_user
from app.clock import now_utc
from app.csv_export import CSV_ALTERNATIVE_DOC, csv_response
from app.extensions import db
from app.openapi import Blueprint
from app.pagination import paginate_newest_first
from app.ratelimit import check_rate
from app.redis_store import get_gateway
from app.schemas import page_of
from campaigns import service
from campaigns.checkins import check_in
from campaigns.models import Campaign
from campaigns.report import campaign_report
from campaigns.report_csv import COLUMNS, report_rows
from campaigns.schemas import (
    CampaignDetailOut,
    CampaignEventIn,
    CampaignEventWithCodeOut,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    CampaignQuery,
    CampaignReportOut,
    CampaignReportQuery,
    CheckinIn,
    CheckinOut,
    EventQrOut,
)

# Check-in codes are guessed by trying: a person may try this many in a window (then 429).
CHECKIN_ATTEMPTS = 10
CHECKIN_WINDOW_S = 600

blp = Blueprint("campaigns", __name__, url_prefix="/api/v1",
                description="宣传周与开放日 (campaigns and events)")


@blp.route("/campaigns", methods=["POST"])
@authenticated("organizer")
@blp.arguments(CampaignIn)
@blp.response(201, CampaignOut)
def create_campaign(data):
    """Organizer: a publicity week for one's organisation (superadmin: a region)."""
    now = now_utc()
    campaign = service.create_campaign(db.session, current_user(), data, now, client_ip())
    db.session.commit()
    return service.campaign_view(campaign, now)


@blp.route("/campaigns", methods=["GET"])
@authenticated("staff")
@blp.arguments(CampaignQuery, location="query")
@blp.response(200, page_of(CampaignOut))
def list_campaigns(query):
    """Campaigns covering the caller's organisation or its region, newest first."""
    now = now_utc()
    stmt = service.list_campaigns(db.session, current_user(), query.get("status"), now)
    page = paginate_newest_first(db.session, stmt, Campaign.id, query["limit"], query["cursor"])
    return {"items": [service.campaign_view(c, now) for c in page.items],
            "next_cursor": page.next_cursor}


@blp.route("/campaigns/<int:campaign_id>", methods=["GET"])
@authenticated("staff")
@blp.response(200, CampaignDetailOut)
def get_campaign(campaign_id):
    """One campaign with its progress, team standings, daily series and events."""
    return service.campaign_detail(db.session, current_user(), campaign_id, now_utc())


@blp.route("/campaigns/<int:campaign_id>", methods=["PATCH"])
@authenticated("organizer")
@blp.arguments(CampaignPatch)
@blp.response(200, CampaignOut)
def patch_campaign(changes, campaign_id):
    """Organizer: edit before the start; afterwards only the description and an earlier end."""
    now = now_utc()
    campaign = service.writable_campaign(db.session, current_user(), campaign_id)
    service.update_campaign(db.session, current_user(), campaign, changes, now, client_ip())
    db.session.commit()
    return service.campaign_view(campaign, now)


@blp.route("/campaigns/<int:campaign_id>/report", methods=["GET"])
@authenticated("organizer")
@blp.arguments(CampaignReportQuery, location="query")
@blp.response(200, CampaignReportOut)
@blp.doc(**CSV_ALTERNATIVE_DOC)
def get_campaign_report(query, campaign_id):
    """Organizer: teams, behaviours, points, top teams and the change on the previous campaign."""
    report = campaign_report(db.session, current_user(), campaign_id,
                             current_app.extensions["factor_registry"], now_utc())
    if query["format"] == "csv":
        return csv_response(f"campaign-{campaign_id}-report.csv", COLUMNS, report_rows(report))
    return report


@blp.route("/campaigns/<int:campaign_id>/events", methods=["POST"])
@authenticated("organizer")
@blp.arguments(CampaignEventIn)
@blp.response(201, CampaignEventWithCodeOut)
def create_event(data, campaign_id):
    """Organizer: an open day inside the campaign, with its check-in code."""
    campaign = service.writable_campaign(db.session, current_user(), campaign_id)
    event = service.create_event(db.session, current_user(), campaign, data, now_utc(),
                                 client_ip())
    db.session.commit()
    return event


@blp.route("/campaigns/<int:campaign_id>/events/<int:event_id>/approve", methods=["POST"])
@authenticated("admin")
@blp.response(200, CampaignEventWithCodeOut)
def approve_event(campaign_id, event_id):
    """Admin: open check-ins at an event worth more than the organisation's threshold."""
    event = service.approve_event(db.session, current_user(), campaign_id, event_id, now_utc(),
                                  client_ip())
    db.session.commit()
    return event


@blp.route("/campaigns/<int:campaign_id>/events", methods=["GET"])
@authenticated("organizer")
@blp.response(200, CampaignEventWithCodeOut(many=True))
def list_events(campaign_id):
    """Organizer: the campaign's open days with their check-in codes (for posters)."""
    campaign = service.writable_campaign(db.session, current_user(), campaign_id)
    return service.events_of(db.session, campaign)


@blp.route("/campaigns/<int:campaign_id>/events/<int:event_id>/qr", methods=["GET"])
@authenticated("organizer")
@blp.response(200, EventQrOut)
def event_qr(campaign_id, event_id):
    """Organizer: the event's check-in code as a QR image (SVG) for the poster."""
    return service.event_qr(db.session, current_user(), campaign_id, event_id)


@blp.route("/checkins", methods=["POST"])
@authenticated("staff")
@blp.arguments(CheckinIn)
@blp.response(201, CheckinOut)
def create_checkin(data):
    """Staff: check in at an open day with its code (once per event).

    At most CHECKIN_ATTEMPTS attempts per person per CHECKIN_WINDOW_S seconds, right codes
    included: otherwise a guesser would learn the right one from its 201.
    """
    check_rate(get_gateway(current_app), f"checkin:{current_user().id}", CHECKIN_ATTEMPTS,
               CHECKIN_WINDOW_S)
    result = check_in(db.session, current_user(), data["code"], now_utc())
    db.session.commit()
    metrics.CHECKINS.inc()
    return result
