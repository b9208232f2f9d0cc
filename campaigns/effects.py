"""What campaigns do to activities: the receiver of activities.campaign_hook.multipliers_at."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models import Organisation, User
from campaigns.models import Campaign
from campaigns.rules import ONE, CampaignRule, best_multiplier


def covering_campaigns(session: Session, org: Organisation, at: datetime) -> list[Campaign]:
    """Campaigns of the organisation or its region that are running at `at`."""
    return list(session.scalars(
        select(Campaign).where(or_(Campaign.org_id == org.id, Campaign.region == org.region),
                               Campaign.starts_at <= at, Campaign.ends_at > at)
        .order_by(Campaign.id)))


def campaign_multipliers(user: User, *, session: Session, at: datetime):
    """The receiver of `activities.campaign_hook.multipliers_at`: the covering campaigns of
    `user` at `at`, read once, as a function of a behaviour key -> (multiplier, campaign id)."""
    org = session.get(Organisation, user.org_id) if user.org_id is not None else None
    if org is None:
        return _no_campaign
    rules = [CampaignRule(c.id, c.multiplier, c.activity_multipliers or {})
             for c in covering_campaigns(session, org, at)]
    return partial(best_multiplier, rules)


def _no_campaign(_activity_type: str) -> tuple[Decimal, int | None]:
    return ONE, None
