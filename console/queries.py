"""Reads the console shows that no API service answers in this shape (lists with names)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.models import AuditEntry, User
from points.models import LedgerEntry, Reward, RewardStockMovement

RECENT = 50


def stock_movements(session: Session, org_id: int, reward_id: int | None = None,
                    limit: int = RECENT) -> list[dict]:
    """Newest stock movements of an organisation (or one reward) with reward and actor."""
    stmt = (select(RewardStockMovement, Reward.name, User.display_name)
            .join(Reward, Reward.id == RewardStockMovement.reward_id)
            .outerjoin(User, User.id == RewardStockMovement.actor_id)
            .where(RewardStockMovement.org_id == org_id)
            .order_by(RewardStockMovement.id.desc()).limit(limit))
    if reward_id is not None:
        stmt = stmt.where(RewardStockMovement.reward_id == reward_id)
    return [{"movement": m, "reward": name, "actor": actor}
            for m, name, actor in session.execute(stmt)]


def recent_adjustments(session: Session, org_id: int, limit: int = RECENT) -> list[dict]:
    """The organisation's latest points adjustments with the person and the admin."""
    person, admin = aliased(User), aliased(User)
    stmt = (select(LedgerEntry, person.display_name, person.username, admin.display_name)
            .join(person, person.id == LedgerEntry.user_id)
            .outerjoin(admin, admin.id == LedgerEntry.actor_id)
            .where(LedgerEntry.org_id == org_id, LedgerEntry.kind == "adjust",
                   LedgerEntry.source_type == "adjustment")
            .order_by(LedgerEntry.id.desc()).limit(limit))
    return [{"entry": e, "person": name, "username": username, "actor": actor}
            for e, name, username, actor in session.execute(stmt)]


def audit_page(session: Session, org_id: int, before_id: int | None,
               limit: int = RECENT) -> tuple[list[dict], int | None]:
    """A page of the organisation's audit log, newest first, with actor names."""
    stmt = (select(AuditEntry, User.display_name)
            .outerjoin(User, User.id == AuditEntry.actor_id)
            .where(AuditEntry.org_id == org_id)
            .order_by(AuditEntry.id.desc()).limit(limit + 1))
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    rows = [{"entry": e, "actor": name} for e, name in session.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["entry"].id if more and rows else None)


def user_by_username(session: Session, org_id: int, username: str) -> User | None:
    return session.scalar(select(User).where(User.org_id == org_id,
                                             User.username == username.strip()))


PEOPLE_PAGE = 50


def people_page(session: Session, org_id: int, filters: dict, cursor: str | None):
    """A page of the organisation's people, newest first, `team_id`/`role` filters."""
    from app.pagination import paginate_newest_first

    stmt = select(User).where(User.org_id == org_id)
    if filters.get("team_id") is not None:
        stmt = stmt.where(User.team_id == filters["team_id"])
    if filters.get("role"):
        stmt = stmt.where(User.role == filters["role"])
    return paginate_newest_first(session, stmt, User.id, PEOPLE_PAGE, cursor)


def org_invites(session: Session, org_id: int, ids: list[int] | None = None,
                limit: int = RECENT) -> list:
    from app.models import Invite

    stmt = select(Invite).where(Invite.org_id == org_id).order_by(Invite.id.desc()).limit(limit)
    if ids:
        stmt = stmt.where(Invite.id.in_(ids))
    return list(session.scalars(stmt))


def campaigns_of_org(session: Session, org, limit: int = RECENT) -> list:
    """The organisation's publicity weeks and its region's, newest first."""
    from sqlalchemy import or_

    from campaigns.models import Campaign

    return list(session.scalars(
        select(Campaign).where(or_(Campaign.org_id == org.id, Campaign.region == org.region))
        .order_by(Campaign.starts_at.desc(), Campaign.id.desc()).limit(limit)))


def display_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    """id -> display name of a page's people, in one statement."""
    if not user_ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name)
                                .where(User.id.in_(sorted(user_ids)))).all())


def region_campaigns(session: Session, region: str | None, limit: int = RECENT) -> list:
    """Region-wide publicity weeks (of one region, or all), newest first."""
    from campaigns.models import Campaign

    stmt = (select(Campaign).where(Campaign.region.is_not(None))
            .order_by(Campaign.starts_at.desc(), Campaign.id.desc()).limit(limit))
    if region:
        stmt = stmt.where(Campaign.region == region)
    return list(session.scalars(stmt))
