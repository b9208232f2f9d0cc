"""The redemption counter: find a claim by its pickup code, hand it over, the day's sheet.

Composes the points domain's own functions (`list_org_redemptions`, `fulfil_redemption`);
the only SQL here reads what the counter shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.calendar import local_day, local_midnight
from app.models import Organisation, User
from points.models import Redemption, Reward
from points.redemptions import fulfil_redemption, list_org_redemptions

CODE_MAX = 16


@dataclass(frozen=True)
class CounterResult:
    """What the counter says after a scan: handed over now, already, cancelled or unknown."""

    outcome: str  # handed_over | already | cancelled | locked | unknown
    redemption: Redemption | None = None
    person: User | None = None
    handed_over_by: User | None = None


def normalise_code(code: str) -> str:
    """What a scanner or a person typed, as the code is stored (letters and digits)."""
    return "".join(ch for ch in code if ch.isascii() and ch.isalnum()).upper()[:CODE_MAX]


def hand_over(session: Session, actor: User, org: Organisation, code: str, now: datetime,
              ip: str | None, override_reason: str | None = None) -> CounterResult:
    """Hand over the pending claim with this code; otherwise say what became of the code.

    A claim locked by wrong codes is handed over only by the admin's override with a reason
    (audited by the points domain); without one the counter says it is locked."""
    code = normalise_code(code)
    if not code:
        return CounterResult("unknown")
    claims = list_org_redemptions(session, org, {"pickup_code": code, "limit": 5,
                                                 "cursor": None}).items
    if not claims:
        return CounterResult("unknown")
    pending = next((c for c in claims if c.status == "pending"), None)
    if pending is not None and pending.locked and not override_reason:
        claim, outcome = pending, "locked"
    elif pending is not None:
        claim = fulfil_redemption(session, actor, pending.id, None if override_reason else code,
                                  now, ip, override_reason=override_reason)
        outcome = "handed_over"
    else:
        claim = claims[0]
        outcome = "already" if claim.status == "fulfilled" else "cancelled"
    return CounterResult(outcome, claim, session.get(User, claim.user_id),
                         session.get(User, claim.fulfilled_by) if claim.fulfilled_by else None)


def local_day_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of the organisation-local day containing `now`."""
    day = local_day(now, timezone)
    return local_midnight(day, timezone), local_midnight(day + timedelta(days=1), timezone)


def day_sheet(session: Session, org: Organisation, now: datetime) -> dict:
    """What was handed out today (each claim, and per reward with the stock left) and what
    still waits to be collected."""
    start, end = local_day_bounds(now, org.timezone)
    handed = session.execute(
        select(Redemption, User.display_name)
        .join(User, User.id == Redemption.user_id)
        .where(Redemption.org_id == org.id, Redemption.status == "fulfilled",
               Redemption.fulfilled_at >= start, Redemption.fulfilled_at < end)
        .order_by(Redemption.fulfilled_at.desc(), Redemption.id.desc())).all()
    per_reward = session.execute(
        select(Reward.id, Reward.name, Reward.stock,
               func.count(Redemption.id).filter(
                   Redemption.status == "fulfilled", Redemption.fulfilled_at >= start,
                   Redemption.fulfilled_at < end),
               func.count(Redemption.id).filter(Redemption.status == "pending"))
        .outerjoin(Redemption, Redemption.reward_id == Reward.id)
        .where(Reward.org_id == org.id)
        .group_by(Reward.id, Reward.name, Reward.stock).order_by(Reward.id)).all()
    return {"day": start.date(), "pending": pending_claims(session, org),
            "handed": [{"redemption": r, "person": name} for r, name in handed],
            "rewards": [{"id": i, "name": n, "stock": s, "handed_today": h, "pending": p}
                        for i, n, s, h, p in per_reward]}


PENDING_SHOWN = 50


def pending_claims(session: Session, org: Organisation) -> list[dict]:
    """The oldest claims still waiting to be collected, with whose they are."""
    rows = session.execute(
        select(Redemption, User.display_name).join(User, User.id == Redemption.user_id)
        .where(Redemption.org_id == org.id, Redemption.status == "pending")
        .order_by(Redemption.id).limit(PENDING_SHOWN)).all()
    return [{"redemption": r, "person": name} for r, name in rows]
