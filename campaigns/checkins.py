"""Open-day check-ins: once per person per event, inside its window, within its capacity.

Three database guarantees, no check-then-insert: the unique (event_id, user_id) makes a
second check-in fail (already_checked_in); a conditional UPDATE of the event's counter
refuses the check-in past `max_checkins` (event_full); the ledger's unique source
("checkin", "<event>:<user>") would refuse a second credit even if both were bypassed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.calendar import local_day
from app.errors import Conflict, Forbidden, NotFound
from app.models import Organisation, User
from app.shared_rows import SharedRows
from campaigns.models import Campaign, CampaignEvent, Checkin
from points.contributions import record_contribution
from points.ledger import balance_of, credit_points


class EventClosed(Conflict):
    code = "event_closed"


class EventFull(Conflict):
    code = "event_full"


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"


class OwnEventCheckin(Forbidden):
    code = "own_event_checkin"


class EventNotApproved(Conflict):
    code = "event_not_approved"


def covers(campaign: Campaign, org: Organisation) -> bool:
    return campaign.org_id == org.id or (campaign.region is not None
                                         and campaign.region == org.region)


def _event_for_code(session: Session, user: User, code: str) -> tuple[CampaignEvent, Campaign,
                                                                       Organisation]:
    """The event behind a code, if it is for the person's organisation; otherwise 404."""
    event = session.scalar(select(CampaignEvent)
                           .where(CampaignEvent.checkin_code == code.strip().upper()))
    org = session.get(Organisation, user.org_id) if user.org_id is not None else None
    campaign = session.get(Campaign, event.campaign_id) if event is not None else None
    if event is None or org is None or campaign is None or not covers(campaign, org):
        raise NotFound()
    return event, campaign, org


def check_in(session: Session, user: User, code: str, now: datetime) -> dict:
    """Staff: check in at an open day with its code; the event's points go to the ledger.

    Not at one's own event (its creator would pay themselves), nor at one still waiting
    for an admin's approval.
    """
    event, campaign, org = _event_for_code(session, user, code)
    if event.created_by == user.id:
        raise OwnEventCheckin()
    if event.requires_approval and event.approved_at is None:
        raise EventNotApproved()
    if not event.starts_at <= now < event.ends_at:
        raise EventClosed(details={"starts_at": event.starts_at.isoformat(),
                                   "ends_at": event.ends_at.isoformat()})
    checkin = Checkin(event_id=event.id, user_id=user.id, org_id=org.id, team_id=user.team_id,
                      points=event.points, created_at=now)
    try:
        with session.begin_nested():
            session.add(checkin)
    except IntegrityError as exc:
        raise AlreadyCheckedIn() from exc
    taken = session.execute(update(CampaignEvent)
                            .where(CampaignEvent.id == event.id,
                                   CampaignEvent.checkins < CampaignEvent.max_checkins)
                            .values(checkins=CampaignEvent.checkins + 1)).rowcount
    if taken != 1:
        raise EventFull()
    shared = SharedRows()
    if event.points:
        # Event points are a fixed bonus: campaign multipliers never apply to them.
        credit_points(session, user_id=user.id, org_id=org.id, team_id=user.team_id,
                      delta=event.points, kind="bonus", source_type="checkin",
                      source_id=f"{event.id}:{user.id}", now=now, reason=event.name[:200],
                      shared=shared)
        record_contribution(session, user_id=user.id, org_id=org.id, team_id=user.team_id,
                            day=local_day(now, org.timezone),
                            points=event.points, entries=0, shared=shared)
    balance = balance_of(session, user.id)
    shared.write(session)
    return {"id": checkin.id, "event_id": event.id, "campaign_id": campaign.id,
            "points": event.points, "balance": balance, "created_at": checkin.created_at}
