"""The rewards catalogue of an organisation: create, edit, archive, restock (admin), browse."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Row, Select, bindparam, or_, select, update
from sqlalchemy.orm import Session

from app.audit import record_audit
from app.errors import Conflict, NotFound, Unprocessable
from app.i18n import FieldMessage
from app.models import Organisation, User
from app.pagination import Page, paginate_newest_first
from points.models import Reward, RewardStockMovement
from points.service import home_organisation, in_actor_scope

INITIAL_STOCK_REASON = "初始库存 (initial stock)"
EDITABLE = ("name", "description", "cost_points", "per_user_limit", "available_from",
            "available_until", "image_url")


class OutOfStock(Conflict):
    code = "out_of_stock"


class RewardUnavailable(Conflict):
    code = "reward_unavailable"


def reward_in_scope(session: Session, actor: User, reward_id: int) -> Reward:
    """A reward of the actor's organisation (any, for a superadmin); otherwise 404."""
    reward = session.get(Reward, reward_id)
    if reward is None:
        raise NotFound()
    in_actor_scope(actor, reward.org_id)
    return reward


def is_on_offer(reward: Reward | Row, now: datetime) -> bool:
    """Not archived, and `now` inside [available_from, available_until)."""
    return (reward.archived_at is None
            and (reward.available_from is None or reward.available_from <= now)
            and (reward.available_until is None or now < reward.available_until))


def _on_offer(stmt: Select, now: datetime) -> Select:
    return stmt.where(Reward.archived_at.is_(None),
                      or_(Reward.available_from.is_(None), Reward.available_from <= now),
                      or_(Reward.available_until.is_(None), Reward.available_until > now))


def list_rewards_on_offer(session: Session, actor: User, org_id: int | None, now: datetime,
                          limit: int, cursor: str | None) -> Page:
    """What members can redeem now (out-of-stock items included, with 0 remaining).

    Someone not yet enrolled belongs to no organisation and is offered nothing; a
    superadmin names the organisation.
    """
    if org_id is None and actor.org_id is None and actor.role != "superadmin":
        return Page([], None)
    org = home_organisation(session, actor, org_id, "staff")
    stmt = _on_offer(select(Reward).where(Reward.org_id == org.id), now)
    return paginate_newest_first(session, stmt, Reward.id, limit, cursor)


def list_org_rewards(session: Session, org: Organisation, archived: bool | None, limit: int,
                     cursor: str | None) -> Page:
    """Admin: the whole catalogue, whatever its window, optionally only (un)archived."""
    stmt = select(Reward).where(Reward.org_id == org.id)
    if archived is not None:
        stmt = stmt.where(Reward.archived_at.is_not(None) if archived
                          else Reward.archived_at.is_(None))
    return paginate_newest_first(session, stmt, Reward.id, limit, cursor)


def create_reward(session: Session, actor: User, org: Organisation, data: dict, now: datetime,
                  ip: str | None) -> Reward:
    """Admin: add a reward; its initial stock is the first stock movement."""
    fields = {k: v for k, v in data.items() if k != "org_id"}
    reward = Reward(org_id=org.id, created_by=actor.id, created_at=now, updated_at=now, **fields)
    session.add(reward)
    session.flush()
    session.add(RewardStockMovement(reward_id=reward.id, org_id=org.id, delta=reward.stock,
                                    stock_after=reward.stock, reason=INITIAL_STOCK_REASON,
                                    actor_id=actor.id, created_at=now))
    record_audit(session, actor, "reward.create", "reward", reward.id, fields, org_id=org.id,
                 ip=ip)
    return reward


def update_reward(session: Session, actor: User, reward: Reward, changes: dict, now: datetime,
                  ip: str | None) -> Reward:
    """Admin: edit a reward. A new cost applies to later redemptions only."""
    start = changes.get("available_from", reward.available_from)
    end = changes.get("available_until", reward.available_until)
    if start is not None and end is not None and start >= end:
        raise Unprocessable(details={"available_until": [
            FieldMessage("after_available_from")]})
    before = {k: getattr(reward, k) for k in changes}
    for field in EDITABLE:
        if field in changes:
            setattr(reward, field, changes[field])
    reward.updated_at = now
    session.flush()
    record_audit(session, actor, "reward.update", "reward", reward.id,
                 {"before": before, "after": changes}, org_id=reward.org_id, ip=ip)
    return reward


def archive_reward(session: Session, actor: User, reward: Reward, now: datetime,
                   ip: str | None) -> Reward:
    """Admin: take a reward off the catalogue (pending claims can still be collected)."""
    archived = session.execute(
        update(Reward).where(Reward.id == reward.id, Reward.archived_at.is_(None))
        .values(archived_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if archived:
        record_audit(session, actor, "reward.archive", "reward", reward.id, {},
                     org_id=reward.org_id, ip=ip)
    session.refresh(reward)
    return reward


def change_stock(session: Session, actor: User, reward: Reward, delta: int, reason: str,
                 now: datetime, ip: str | None) -> Reward:
    """Admin: put stock in or take it out, with a reason; never below zero (409 stock_negative)."""
    stock_after = session.execute(
        update(Reward).where(Reward.id == reward.id, Reward.stock + delta >= 0)
        .values(stock=Reward.stock + delta, updated_at=now)
        .returning(Reward.stock)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    session.refresh(reward)
    if stock_after is None:
        raise Conflict("stock_negative", details={"stock_remaining": reward.stock,
                                                  "delta": delta})
    movement = RewardStockMovement(reward_id=reward.id, org_id=reward.org_id, delta=delta,
                                   stock_after=stock_after, reason=reason, actor_id=actor.id,
                                   created_at=now)
    session.add(movement)
    session.flush()
    record_audit(session, actor, "reward.stock", "reward", reward.id,
                 {"delta": delta, "reason": reason, "stock_after": stock_after,
                  "movement_id": movement.id}, org_id=reward.org_id, ip=ip)
    return reward


def take_one_unit(session: Session, reward_id: int) -> None:
    """Take one unit of stock in a single conditional statement, or refuse.

    Of any number of concurrent redemptions of the last unit exactly one matches
    `stock > 0` (PostgreSQL re-checks the condition after the row lock; SQLite runs
    one writer at a time). A redemption runs it last, just before its COMMIT, so
    concurrent redeemers of one reward queue for this statement only.
    """
    if session.execute(_take_one_unit(), {"reward_id": reward_id}).rowcount != 1:
        archived_at = session.scalar(select(Reward.archived_at).where(Reward.id == reward_id))
        raise RewardUnavailable() if archived_at is not None else OutOfStock()


@cache
def _take_one_unit():
    # Built once, on the table: the ORM's bulk-update machinery costs more than the round trip.
    table = Reward.__table__
    return (update(table).where(table.c.id == bindparam("reward_id"), table.c.stock > 0,
                                table.c.archived_at.is_(None))
            .values(stock=table.c.stock - 1))


def terms_of(session: Session, reward_id: int) -> Row | None:
    """What a redemption reads of a reward (`Reward`'s columns, not an ORM object: nothing
    writes it back, so it is not loaded into the session)."""
    return session.execute(_terms_of(), {"reward_id": reward_id}).first()


@cache
def _terms_of():
    table = Reward.__table__
    return select(table.c.id, table.c.org_id, table.c.name, table.c.cost_points, table.c.stock,
                  table.c.per_user_limit, table.c.available_from, table.c.available_until,
                  table.c.archived_at).where(table.c.id == bindparam("reward_id"))


def return_one_unit(session: Session, reward_id: int) -> None:
    """Put back the unit of a cancelled redemption (one statement, no read)."""
    session.execute(update(Reward).where(Reward.id == reward_id)
                    .values(stock=Reward.stock + 1)
                    .execution_options(synchronize_session=False))
