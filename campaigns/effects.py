"""What campaigns do to activities: the receiver of activities.campaign_hook.multipliers_at.

A worker keeps each organisation's campaigns (windows and multipliers) in memory, under the
organisation's `campaign_rules_stamp`. Every request reads the organisation's row anyway, so
a stamp changed by another worker (`rules_changed`, in the transaction that creates or edits
a campaign) is seen at the next request, and the rules are read again. Campaigns starting
and ending on time need no stamp: the windows are held and compared with each instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.models import Organisation, User, fresh_rules_stamp
from campaigns.models import Campaign
from campaigns.rules import ONE, CampaignRule, best_multiplier

# How far before the instant asked about a worker holds campaigns that have ended: logs are
# backdated by days at most, and an older instant is answered from the table.
HELD_BEFORE = timedelta(days=8)


@dataclass(frozen=True)
class _Held:
    """An organisation's campaigns ending after `since`, as of `stamp` and `region`."""

    stamp: int
    region: str
    since: datetime
    spans: tuple[tuple[datetime, datetime, CampaignRule], ...]


# organisation id -> its campaigns, in this worker (one dict assignment per change).
_held: dict[int, _Held] = {}


def _covering(org: Organisation):
    return or_(Campaign.org_id == org.id, Campaign.region == org.region)


def covering_campaigns(session: Session, org: Organisation, at: datetime) -> list[Campaign]:
    """Campaigns of the organisation or its region that are running at `at`."""
    return list(session.scalars(
        select(Campaign).where(_covering(org), Campaign.starts_at <= at, Campaign.ends_at > at)
        .order_by(Campaign.id)))


def campaign_multipliers(user: User, *, session: Session, at: datetime):
    """The receiver of `activities.campaign_hook.multipliers_at`: the covering campaigns of
    `user` at `at` as a function of a behaviour key -> (multiplier, campaign id); no
    statement while this worker holds the organisation's rules at its current stamp."""
    org = session.get(Organisation, user.org_id) if user.org_id is not None else None
    if org is None:
        return _no_campaign
    rules = [rule for starts_at, ends_at, rule in _spans_of(session, org, at)
             if starts_at <= at < ends_at]
    return partial(best_multiplier, rules)


def _spans_of(session: Session, org: Organisation, at: datetime):
    held = _held.get(org.id)
    if (held is not None and held.stamp == org.campaign_rules_stamp
            and held.region == org.region and at >= held.since):
        return held.spans
    # The stamp was read before the campaigns: what is held is never older than its stamp.
    since = at - HELD_BEFORE
    spans = tuple((c.starts_at, c.ends_at,
                   CampaignRule(c.id, c.multiplier, c.activity_multipliers or {}))
                  for c in session.scalars(select(Campaign)
                                           .where(_covering(org), Campaign.ends_at > since)
                                           .order_by(Campaign.id)))
    _held[org.id] = _Held(org.campaign_rules_stamp, org.region, since, spans)
    return spans


def rules_changed(session: Session, campaign: Campaign) -> None:
    """A new stamp for every organisation the campaign covers, in the caller's transaction
    (one statement): every worker reads the campaigns again at its next request."""
    covered = (Organisation.id == campaign.org_id if campaign.org_id is not None
               else Organisation.region == campaign.region)
    session.execute(update(Organisation).where(covered)
                    .values(campaign_rules_stamp=fresh_rules_stamp()))


def _no_campaign(_activity_type: str) -> tuple[Decimal, int | None]:
    return ONE, None
