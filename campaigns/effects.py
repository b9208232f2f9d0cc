"""What campaigns do to activities: the provider behind activities/campaign_hook.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

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


def campaign_multiplier(session: Session, user: User, activity_type: str,
                        occurred_at: datetime) -> tuple[Decimal, int | None]:
    """(points multiplier, campaign id) for an activity at `occurred_at` by `user`."""
    org = session.get(Organisation, user.org_id) if user.org_id is not None else None
    if org is None:
        return ONE, None
    rules = [CampaignRule(c.id, c.multiplier, c.activity_multipliers or {})
             for c in covering_campaigns(session, org, occurred_at)]
    return best_multiplier(rules, activity_type)
