"""Campaigns and events: plain functions over a session; they flush, the route commits."""

from __future__ import annotations

from base64 import b64encode
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from app.audit import record_audit
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.figures import kg
from app.i18n import FieldMessage
from app.models import Organisation, User, role_at_least
from app.service import add_with_fresh_code, organisation_for
from campaigns.effects import rules_changed
from campaigns.models import Campaign, CampaignEvent
from campaigns.schemas import MAX_CAMPAIGN_EVENT_POINTS

RULE_FIELDS = ("name", "starts_at", "multiplier", "activity_multipliers", "goal_co2e_kg")
# A new campaign may start at most this far back (plus the clock skew logging tolerates).
MAX_BACKDATE = timedelta(hours=1)
CLOCK_SKEW = timedelta(minutes=5)
MAX_CAMPAIGN_LENGTH = timedelta(days=92)
# Region-wide campaigns have no organisation to set it: the organisations' default.
DEFAULT_EVENT_APPROVAL_POINTS = 50


class CampaignStarted(Conflict):
    code = "campaign_started"


class CampaignEndNotExtendable(Conflict):
    code = "campaign_end_not_extendable"


class EventAlreadyApproved(Conflict):
    code = "event_already_approved"


# --- views ------------------------------------------------------------------------

def status_of(campaign: Campaign, now: datetime) -> str:
    if now < campaign.starts_at:
        return "upcoming"
    return "active" if now < campaign.ends_at else "past"


def campaign_view(campaign: Campaign, now: datetime) -> dict:
    """The campaign as the API shows it (kg, plain numbers, a status)."""
    goal = campaign.goal_co2e_g
    return {"id": campaign.id, "name": campaign.name, "description": campaign.description,
            "org_id": campaign.org_id, "region": campaign.region,
            "starts_at": campaign.starts_at, "ends_at": campaign.ends_at,
            "status": status_of(campaign, now), "multiplier": campaign.multiplier,
            "activity_multipliers": {k: Decimal(v) for k, v in
                                     (campaign.activity_multipliers or {}).items()},
            "goal_co2e_kg": None if goal is None else kg(goal),
            "created_at": campaign.created_at}


# --- access -------------------------------------------------------------------------

def _viewer_scope(session: Session, viewer: User):
    """A filter on campaigns the viewer may see: their organisation's and their region's."""
    if viewer.role == "superadmin":
        return None
    org = session.get(Organisation, viewer.org_id)
    if org is None:
        return Campaign.id.is_(None)
    return or_(Campaign.org_id == org.id, Campaign.region == org.region)


def visible_campaign(session: Session, viewer: User, campaign_id: int) -> Campaign:
    """A campaign covering the viewer's organisation; anything else is 404."""
    stmt = select(Campaign).where(Campaign.id == campaign_id)
    scope = _viewer_scope(session, viewer)
    if scope is not None:
        stmt = stmt.where(scope)
    campaign = session.scalar(stmt)
    if campaign is None:
        raise NotFound()
    return campaign


def writable_campaign(session: Session, actor: User, campaign_id: int) -> Campaign:
    """A campaign the actor may run: their organisation's (organizer+); a region's: superadmin."""
    campaign = visible_campaign(session, actor, campaign_id)
    if campaign.region is not None and actor.role != "superadmin":
        raise Forbidden()
    if campaign.org_id is not None:
        organisation_for(session, actor, campaign.org_id, "organizer")
    return campaign


def list_campaigns(session: Session, viewer: User, status: str | None, now: datetime) -> Select:
    """Campaigns covering the viewer's organisation or region, by status."""
    stmt = select(Campaign)
    scope = _viewer_scope(session, viewer)
    if scope is not None:
        stmt = stmt.where(scope)
    if status == "active":
        stmt = stmt.where(Campaign.starts_at <= now, Campaign.ends_at > now)
    elif status == "upcoming":
        stmt = stmt.where(Campaign.starts_at > now)
    elif status == "past":
        stmt = stmt.where(Campaign.ends_at <= now)
    return stmt


# --- writes ---------------------------------------------------------------------------

def _kg_to_g(kg: Decimal | None) -> int | None:
    return None if kg is None else int(kg * 1000)


def _apply(campaign: Campaign, changes: dict) -> None:
    for field, value in changes.items():
        if field == "goal_co2e_kg":
            campaign.goal_co2e_g = _kg_to_g(value)
        elif field == "activity_multipliers":
            campaign.activity_multipliers = {k: str(v.quantize(Decimal("0.01")))
                                             for k, v in value.items()}
        else:
            setattr(campaign, field, value)


def _scope_of_new(session: Session, actor: User, data: dict) -> dict:
    if data.get("region") is not None:
        if actor.role != "superadmin":
            raise Forbidden()
        return {"org_id": None, "region": data["region"]}
    org_id = data.get("org_id") if data.get("org_id") is not None else actor.org_id
    if org_id is None:
        raise Unprocessable(details={"org_id": [FieldMessage("org_or_region_required")]})
    return {"org_id": organisation_for(session, actor, org_id, "organizer").id, "region": None}


def _check_start(starts_at: datetime, now: datetime) -> None:
    if starts_at < now - MAX_BACKDATE - CLOCK_SKEW:
        raise Unprocessable("campaign_starts_in_past", details={"starts_at": [
            FieldMessage("campaign_start_too_early")]})


def _check_length(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at - starts_at > MAX_CAMPAIGN_LENGTH:
        days = MAX_CAMPAIGN_LENGTH.days
        raise Unprocessable("campaign_too_long", details={"ends_at": [
            FieldMessage("campaign_max_days", days=days)]})


def create_campaign(session: Session, actor: User, data: dict, now: datetime,
                    ip: str | None) -> Campaign:
    """Organizer: a publicity week for their organisation (superadmin: for a region).

    It starts at most an hour in the past and lasts at most MAX_CAMPAIGN_LENGTH.
    """
    _check_start(data["starts_at"], now)
    _check_length(data["starts_at"], data["ends_at"])
    campaign = Campaign(**_scope_of_new(session, actor, data), created_by=actor.id)
    _apply(campaign, {k: v for k, v in data.items() if k not in ("org_id", "region")})
    session.add(campaign)
    session.flush()
    rules_changed(session, campaign)
    record_audit(session, actor, "campaign.create", "campaign", campaign.id, data,
                 org_id=campaign.org_id, ip=ip)
    return campaign


def _unchanged(campaign: Campaign, field: str, value) -> bool:
    if field == "goal_co2e_kg":
        return _kg_to_g(value) == campaign.goal_co2e_g
    if field == "activity_multipliers":
        return {k: Decimal(v) for k, v in value.items()} == {
            k: Decimal(v) for k, v in (campaign.activity_multipliers or {}).items()}
    return getattr(campaign, field) == value


def _check_started_edit(campaign: Campaign, changes: dict, now: datetime) -> None:
    """Once started only the description changes and the end moves earlier (not past now)."""
    fixed = sorted(f for f in RULE_FIELDS if f in changes
                   and not _unchanged(campaign, f, changes[f]))
    if fixed:
        raise CampaignStarted(details={f: [FieldMessage("fixed_after_start")]
                                       for f in fixed})
    ends_at = changes.get("ends_at", campaign.ends_at)
    if ends_at > campaign.ends_at:
        raise CampaignEndNotExtendable(details={"ends_at": [
            FieldMessage("campaign_end_only_earlier")]})
    if ends_at < campaign.ends_at and ends_at < now:
        raise Unprocessable(details={"ends_at": [FieldMessage("not_before_now")]})


def _check_window(session: Session, campaign: Campaign, starts_at: datetime,
                  ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Unprocessable(details={"ends_at": [FieldMessage("ends_after_start")]})
    outside = session.scalar(select(CampaignEvent.id).where(
        CampaignEvent.campaign_id == campaign.id,
        or_(CampaignEvent.starts_at < starts_at, CampaignEvent.ends_at > ends_at)).limit(1))
    if outside is not None:
        raise Unprocessable(details={"ends_at": [FieldMessage("events_outside_window")]})


def update_campaign(session: Session, actor: User, campaign: Campaign, changes: dict,
                    now: datetime, ip: str | None) -> Campaign:
    """Before start anything (within the creation limits); after start only the description
    and an earlier end."""
    starts_at = changes.get("starts_at", campaign.starts_at)
    ends_at = changes.get("ends_at", campaign.ends_at)
    if now >= campaign.starts_at:
        _check_started_edit(campaign, changes, now)
    elif "starts_at" in changes:
        _check_start(starts_at, now)
    _check_length(starts_at, ends_at)
    _check_window(session, campaign, starts_at, ends_at)
    before = {f: campaign_view(campaign, now).get(f) for f in changes}
    _apply(campaign, changes)
    session.flush()
    rules_changed(session, campaign)
    record_audit(session, actor, "campaign.update", "campaign", campaign.id,
                 {"before": before, "after": changes}, org_id=campaign.org_id, ip=ip)
    return campaign


def create_event(session: Session, actor: User, campaign: Campaign, data: dict,
                 now: datetime, ip: str | None) -> CampaignEvent:
    """Organizer: an open day inside the campaign window, with a check-in code.

    Its points count against the campaign's ceiling (the campaign row is locked, so
    concurrent events never pass it together). Worth more than the organisation's
    approval threshold, it waits for an admin's approval, unless an admin creates it.
    """
    if data["starts_at"] < campaign.starts_at or data["ends_at"] > campaign.ends_at:
        raise Unprocessable(details={"starts_at": [FieldMessage("inside_campaign_window")]})
    _check_campaign_points(session, campaign, data["points"])
    requires_approval = data["points"] > _approval_threshold(session, campaign)
    approved = requires_approval and _may_approve(actor, campaign)
    event = add_with_fresh_code(session, lambda code: CampaignEvent(
        campaign_id=campaign.id, checkin_code=code, created_by=actor.id, checkins=0,
        requires_approval=requires_approval, approved_at=now if approved else None,
        approved_by=actor.id if approved else None, **data))
    record_audit(session, actor, "campaign_event.create", "campaign_event", event.id,
                 {**data, "campaign_id": campaign.id, "requires_approval": requires_approval,
                  "approved": approved}, org_id=campaign.org_id, ip=ip)
    return event


def _check_campaign_points(session: Session, campaign: Campaign, points: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Campaign.id).where(Campaign.id == campaign.id)
                        .with_for_update())
    given = session.scalar(select(func.coalesce(func.sum(CampaignEvent.points), 0))
                           .where(CampaignEvent.campaign_id == campaign.id))
    left = MAX_CAMPAIGN_EVENT_POINTS - int(given)
    if points > left:
        raise Unprocessable("campaign_event_points_exceeded", details={"points": [
            f"一个活动的开放日积分合计最多 {MAX_CAMPAIGN_EVENT_POINTS}，还剩 {max(0, left)} "
            f"(at most {MAX_CAMPAIGN_EVENT_POINTS} per campaign; {max(0, left)} left)"]})


def _approval_threshold(session: Session, campaign: Campaign) -> int:
    if campaign.org_id is None:
        return DEFAULT_EVENT_APPROVAL_POINTS
    return session.get(Organisation, campaign.org_id).event_approval_points


def _may_approve(actor: User, campaign: Campaign) -> bool:
    """An admin of the campaign's organisation; a region's campaign: a superadmin."""
    if campaign.org_id is None:
        return actor.role == "superadmin"
    return actor.role == "superadmin" or (actor.org_id == campaign.org_id
                                          and role_at_least(actor.role, "admin"))


def approve_event(session: Session, actor: User, campaign_id: int, event_id: int,
                  now: datetime, ip: str | None) -> CampaignEvent:
    """Admin: let people check in at an open day worth more than the approval threshold."""
    campaign = visible_campaign(session, actor, campaign_id)
    if not _may_approve(actor, campaign):
        raise Forbidden()
    event = session.get(CampaignEvent, event_id)
    if event is None or event.campaign_id != campaign.id:
        raise NotFound()
    # Conditional: of two concurrent approvals one approves, the other is told.
    approved = session.execute(
        update(CampaignEvent).where(CampaignEvent.id == event.id,
                                    CampaignEvent.requires_approval.is_(True),
                                    CampaignEvent.approved_at.is_(None))
        .values(approved_at=now, approved_by=actor.id)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(event)
    if approved != 1:
        raise EventAlreadyApproved()
    record_audit(session, actor, "campaign_event.approve", "campaign_event", event.id,
                 {"campaign_id": campaign.id, "points": event.points,
                  "created_by": event.created_by}, org_id=campaign.org_id, ip=ip)
    return event


def events_of(session: Session, campaign: Campaign) -> list[CampaignEvent]:
    return list(session.scalars(select(CampaignEvent)
                                .where(CampaignEvent.campaign_id == campaign.id)
                                .order_by(CampaignEvent.starts_at, CampaignEvent.id)))


def event_qr(session: Session, actor: User, campaign_id: int, event_id: int) -> dict:
    """Organizer: an event's check-in code as an SVG QR image (text and data URI)."""
    from campaigns.qr import qr_svg

    campaign = writable_campaign(session, actor, campaign_id)
    event = session.get(CampaignEvent, event_id)
    if event is None or event.campaign_id != campaign.id:
        raise NotFound()
    svg = qr_svg(event.checkin_code)
    return {"event_id": event.id, "checkin_code": event.checkin_code, "image_svg": svg,
            "image_data_uri": "data:image/svg+xml;base64," + b64encode(svg.encode()).decode()}


def campaign_detail(session: Session, viewer: User, campaign_id: int, now: datetime) -> dict:
    """A visible campaign with its progress and its events (without check-in codes)."""
    from campaigns.progress import campaign_progress

    campaign = visible_campaign(session, viewer, campaign_id)
    return {**campaign_view(campaign, now), "progress": campaign_progress(session, campaign),
            "events": events_of(session, campaign)}
