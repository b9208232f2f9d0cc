"""Redeeming rewards, and the counter work that follows: fulfil or cancel.

Locks are always taken in one order, the person's points account, then the
organisation's points of the day, then a reward's row (redeem: account -> day -> reward,
the reward last and for one statement; cancel: redemption -> account -> day -> reward),
so two requests never wait on each other in a circle.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Integer, Row, String, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.audit import record_audit
from app.calendar import local_day
from app.db import UTCDateTime
from app.errors import ApiError, Conflict, NotFound, Unprocessable
from app.i18n import FieldMessage
from app.models import Organisation, User
from app.pagination import Page, paginate_newest_first
from app.service import random_code
from app.shared_rows import SharedRows
from points.ledger import credit_points, lock_account, spend_ctes, spend_points, spent
from points.models import LIVE_STATUSES, MAX_PICKUP_FAILURES, Redemption, Reward
from points.rewards import (
    OutOfStock,
    RewardUnavailable,
    is_on_offer,
    return_one_unit,
    take_one_unit,
    terms_of,
)
from points.schemas import IDEMPOTENCY_KEY_HEADER, MAX_IDEMPOTENCY_KEY
from points.service import in_actor_scope, require_admin_of

PICKUP_CODE_LENGTH = 6  # 31^6 codes; unique among an organisation's pending claims
PICKUP_CODE_ATTEMPTS = 8


class LimitReached(Conflict):
    code = "limit_reached"


class RedemptionNotPending(Conflict):
    code = "redemption_not_pending"


class PickupCodeMismatch(Unprocessable):
    code = "pickup_code_mismatch"
    keep_changes = True  # the failure is counted and audited though the request fails


class RedemptionLocked(Conflict):
    code = "redemption_locked"
    keep_changes = True


class RedemptionNotLocked(Conflict):
    code = "redemption_not_locked"


def idempotency_key_required(key: str | None) -> str:
    """The header's value, or 400 `idempotency_key_missing` (422 when it is too long)."""
    if key is None or not key.strip():
        raise ApiError("idempotency_key_missing", status=400)
    if len(key.strip()) > MAX_IDEMPOTENCY_KEY:
        raise Unprocessable(details={IDEMPOTENCY_KEY_HEADER: [
            FieldMessage("at_most_characters", max=MAX_IDEMPOTENCY_KEY)]})
    return key.strip()


# --- redeem -------------------------------------------------------------------------

class Claim:
    """A redemption written, paid and answered; its move of the organisation's points of
    the day and its unit of stock not yet taken.

    `take_last_unit` writes them as the transaction's final statements: both rows are
    shared (by the organisation's every earning and spend, by every redeemer of the
    reward), so they are locked for those statements before the COMMIT, not for the
    whole request, the reward's last and for one statement.
    """

    __slots__ = ("answer", "reward_id", "shared")

    def __init__(self, answer: dict, reward_id: int, shared: SharedRows):
        self.answer = answer
        self.reward_id = reward_id
        self.shared = shared

    def take_last_unit(self, session: Session) -> None:
        self.shared.write(session)
        take_one_unit(session, self.reward_id)


def redeem_reward(session: Session, user: User, reward_id: int, now: datetime) -> dict:
    """Spend points on one unit of a reward inside a larger transaction (seeding, tests):
    `{redemption, balance}`. `claim_reward` and its unit in a savepoint, so a refusal
    leaves nothing of it behind and the caller's transaction goes on."""
    with session.begin_nested():
        claim = claim_reward(session, user, reward_id, now)
        claim.take_last_unit(session)
    return claim.answer


def claim_reward(session: Session, user: User, reward_id: int, now: datetime) -> Claim:
    """Everything of a redemption but its shared rows, the organisation's points of the day
    and the unit of stock, which the caller takes last (`Claim.take_last_unit`) before
    committing.

    Check the offer (and the stock as read), lock the person's account when their limit
    must be counted, record the claim with a fresh pickup code and debit the points through
    `spend_points`. The price charged is the one read as the claim began, on the
    redemption row and the ledger entry alike. A refusal may come after the claim is
    written (too few points, the last unit gone): the caller rolls back its transaction.
    On PostgreSQL a reward without a per-person limit is read, claimed and paid for in one
    statement (`_claim_in_one_statement`).
    """
    if session.get_bind().dialect.name == "postgresql":
        return _claim_in_one_statement(session, user, reward_id, now)
    return _claim_step_by_step(session, user, _offered(terms_of(session, reward_id), user, now),
                               now)


def _offered(reward: Row | None, user: User, now: datetime) -> Row:
    """The reward as read, if the person may claim it (404 outside their organisation)."""
    if reward is None or reward.org_id != user.org_id:
        raise NotFound()
    _check_offer(reward, now)
    return reward


def _claim_step_by_step(session: Session, user: User, reward: Row, now: datetime) -> Claim:
    if reward.per_user_limit is not None:
        _check_limit(session, user, reward)
    redemption = _record_claim(session, user, reward, now)
    shared = SharedRows()
    balance = spend_points(session, user_id=user.id, org_id=user.org_id, team_id=user.team_id,
                           cost=reward.cost_points, kind="redeem", source_type="redemption",
                           source_id=redemption.id, now=now,
                           reason=REDEEM_REASON + reward.name, shared=shared)
    return Claim({"redemption": redemption, "balance": balance}, reward.id, shared)


REDEEM_REASON = "兑换："  # the ledger entry's reason, before the reward's name


def _claim_in_one_statement(session: Session, user: User, reward_id: int,
                            now: datetime) -> Claim:
    """The reward read, the claim written and the points debited by one statement
    (`_ONE_STATEMENT_CLAIM`), which writes only for a reward of the person's organisation
    with stock left, not archived and without a per-person limit; the checks then run on
    what it read, as `_claim_step_by_step`'s do. A limit is counted under the person's
    account lock, taken before the count: such a reward is claimed step by step."""
    for _attempt in range(PICKUP_CODE_ATTEMPTS):
        code = random_code(PICKUP_CODE_LENGTH)
        row = session.execute(_one_statement_claim(), {
            "reward_id": reward_id, "user_id": user.id, "org_id": user.org_id,
            "team_id": user.team_id, "pickup_code": code, "now": now,
            "reason_prefix": REDEEM_REASON, "spend_kind": "redeem",
            "spend_source_type": "redemption"}).first()
        reward = _offered(row, user, now)
        if reward.per_user_limit is not None:
            return _claim_step_by_step(session, user, reward, now)  # nothing was written
        if row.redemption_id is None:
            continue  # the pickup code is pending in the organisation already: draw again
        shared = SharedRows()
        balance = spent(session, user_id=user.id, org_id=user.org_id, kind="redeem",
                        cost=reward.cost_points, balance_after=row.balance, now=now,
                        shared=shared, org_day=local_day(now, row.org_timezone))
        redemption = Redemption(
            id=row.redemption_id, org_id=reward.org_id, user_id=user.id, team_id=user.team_id,
            reward_id=reward.id, reward_name=reward.name, cost_points=reward.cost_points,
            status="pending", pickup_code=code, failed_pickup_attempts=0, created_at=now,
            fulfilled_at=None, cancelled_at=None)
        return Claim({"redemption": redemption, "balance": balance}, reward.id, shared)
    raise Conflict("conflict")  # pragma: no cover - 8 collisions in 887 million codes


_ONE_STATEMENT_CLAIM = f"""WITH reward AS (
  SELECT id, org_id, name, cost_points, stock, per_user_limit, available_from,
    available_until, archived_at
  FROM rewards WHERE id = :reward_id
),
claim AS (
  INSERT INTO redemptions (org_id, user_id, team_id, reward_id, reward_name, cost_points,
    status, pickup_code, failed_pickup_attempts, created_at)
  SELECT org_id, :user_id, CAST(:team_id AS integer), id, name, cost_points, 'pending',
    :pickup_code, 0, :now
  FROM reward
  WHERE org_id = :org_id AND stock > 0 AND archived_at IS NULL AND per_user_limit IS NULL
  ON CONFLICT DO NOTHING
  RETURNING id, cost_points AS cost, reward_name
),
{spend_ctes(source="claim", reason="CAST(:reason_prefix AS text) || claim.reward_name")}
SELECT reward.*, claim.id AS redemption_id, account.balance,
  (SELECT timezone FROM organisations WHERE id = reward.org_id) AS org_timezone
FROM reward LEFT JOIN claim ON true LEFT JOIN account ON true"""


@cache
def _one_statement_claim():
    # Built once; typed so that times come back as `Reward`'s do (aware, UTC).
    table = Reward.__table__
    return (text(_ONE_STATEMENT_CLAIM)
            .bindparams(bindparam("now", type_=UTCDateTime))
            .columns(*(table.c[name] for name in (
                "id", "org_id", "name", "cost_points", "stock", "per_user_limit",
                "available_from", "available_until", "archived_at")),
                     redemption_id=Integer, balance=Integer, org_timezone=String))


def live_redemptions(session: Session, user_id: int, reward_id: int) -> int:
    """How many of this reward the person holds (pending or fulfilled)."""
    return session.scalar(select(func.count(Redemption.id)).where(
        Redemption.user_id == user_id, Redemption.reward_id == reward_id,
        Redemption.status.in_(LIVE_STATUSES))) or 0


def _check_offer(reward: Row, now: datetime) -> None:
    """What anyone would be told: not on offer, or (as last read) none left."""
    if not is_on_offer(reward, now):
        raise RewardUnavailable()
    if reward.stock <= 0:
        raise OutOfStock()


def _check_limit(session: Session, user: User, reward: Row) -> None:
    """The person's limit, counted under their account lock (held to the end of the
    transaction): their other redemptions queue behind it, so the count cannot race."""
    lock_account(session, user.id)
    if live_redemptions(session, user.id, reward.id) >= reward.per_user_limit:
        raise LimitReached(details={"per_user_limit": reward.per_user_limit})


def _record_claim(session: Session, user: User, reward: Row, now: datetime) -> Redemption:
    """Insert the claim, one statement; a pickup code already pending in the organisation
    (the only unique index of the table) inserts nothing and is drawn again."""
    statement = _new_claim(session.get_bind().dialect.name)
    values = {"org_id": reward.org_id, "user_id": user.id, "team_id": user.team_id,
              "reward_id": reward.id, "reward_name": reward.name,
              "cost_points": reward.cost_points, "status": "pending",
              "failed_pickup_attempts": 0, "created_at": now}
    for _attempt in range(PICKUP_CODE_ATTEMPTS):
        code = random_code(PICKUP_CODE_LENGTH)
        new_id = session.execute(statement, {"pickup_code": code, **values}).scalar()
        if new_id is not None:
            # The answer's copy, not loaded into the session: nothing reads it back.
            return Redemption(id=new_id, pickup_code=code, fulfilled_at=None,
                              cancelled_at=None, **values)
    raise Conflict("conflict")  # pragma: no cover - 8 collisions in 887 million codes


@cache
def _new_claim(dialect: str):
    # Built once, on the table: composing an insert costs more Python than its round trip.
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Redemption.__table__
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


# --- counter work ------------------------------------------------------------------------

def redemption_in_scope(session: Session, actor: User, redemption_id: int) -> Redemption:
    """A redemption of the actor's organisation (any, for a superadmin); otherwise 404."""
    redemption = session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound()
    in_actor_scope(actor, redemption.org_id)
    return redemption


def cancel_redemption(session: Session, actor: User, redemption_id: int, now: datetime,
                      ip: str | None) -> Redemption:
    """The owner or an admin cancels a pending claim: points and stock come back once.

    The status moves pending -> cancelled in one conditional UPDATE, so of concurrent
    cancellations (or a cancel racing a fulfil) exactly one proceeds to the refund.
    """
    redemption = session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound()
    for_someone_else = redemption.user_id != actor.id
    if for_someone_else:
        require_admin_of(actor, redemption.org_id)
    _leave_pending(session, redemption, "cancelled", now, actor)
    if for_someone_else:
        record_audit(session, actor, "redemption.cancel", "redemption", redemption.id,
                     {"user_id": redemption.user_id, "refund": redemption.cost_points},
                     org_id=redemption.org_id, ip=ip)
    credit_points(session, user_id=redemption.user_id, org_id=redemption.org_id,
                  team_id=redemption.team_id, delta=redemption.cost_points, kind="refund",
                  source_type="redemption_refund", source_id=redemption.id, now=now,
                  reason=f"取消兑换退还：{redemption.reward_name}")
    return_one_unit(session, redemption.reward_id)
    return redemption


def fulfil_redemption(session: Session, actor: User, redemption_id: int,
                      pickup_code: str | None, now: datetime, ip: str | None,
                      override_reason: str | None = None) -> Redemption:
    """Admin: hand over the reward against the person's pickup code.

    A wrong code is counted and audited (422); after MAX_PICKUP_FAILURES the redemption
    is locked (409 redemption_locked, the right code included) until an admin fulfils it
    by override (`override_reason` given, no code), audited as such.
    """
    redemption = redemption_in_scope(session, actor, redemption_id)
    require_admin_of(actor, redemption.org_id)
    if override_reason is not None:
        return _fulfil_overriding(session, actor, redemption, override_reason, now, ip)
    code = (pickup_code or "").strip().upper()
    moved = _leave_pending(session, redemption, "fulfilled", now, actor,
                           Redemption.pickup_code == code,
                           Redemption.failed_pickup_attempts < MAX_PICKUP_FAILURES)
    if not moved:
        _refuse_pickup(session, actor, redemption, ip)
    record_audit(session, actor, "redemption.fulfil", "redemption", redemption.id,
                 {"user_id": redemption.user_id, "reward_id": redemption.reward_id},
                 org_id=redemption.org_id, ip=ip)
    return redemption


def _refuse_pickup(session: Session, actor: User, redemption: Redemption,
                   ip: str | None) -> None:
    """Count a wrong code (or an attempt on a locked redemption), audit it, refuse."""
    if redemption.locked:
        _audit_pickup_failure(session, actor, redemption, "redemption.pickup_locked", ip)
        raise RedemptionLocked(details={"failed_pickup_attempts":
                                        redemption.failed_pickup_attempts})
    # Atomic: concurrent wrong codes each count.
    session.execute(update(Redemption).where(Redemption.id == redemption.id)
                    .values(failed_pickup_attempts=Redemption.failed_pickup_attempts + 1)
                    .execution_options(synchronize_session=False))
    session.refresh(redemption)
    _audit_pickup_failure(session, actor, redemption, "redemption.pickup_code_mismatch", ip)
    raise PickupCodeMismatch(details={
        "attempts_left": max(0, MAX_PICKUP_FAILURES - redemption.failed_pickup_attempts),
        "locked": redemption.locked})


def _audit_pickup_failure(session: Session, actor: User, redemption: Redemption, action: str,
                          ip: str | None) -> None:
    record_audit(session, actor, action, "redemption", redemption.id,
                 {"user_id": redemption.user_id,
                  "failed_pickup_attempts": redemption.failed_pickup_attempts},
                 org_id=redemption.org_id, ip=ip)


def _fulfil_overriding(session: Session, actor: User, redemption: Redemption, reason: str,
                       now: datetime, ip: str | None) -> Redemption:
    """Admin: fulfil a locked redemption without its code; only a locked one."""
    moved = _leave_pending(session, redemption, "fulfilled", now, actor,
                           Redemption.failed_pickup_attempts >= MAX_PICKUP_FAILURES)
    if not moved:
        raise RedemptionNotLocked()
    record_audit(session, actor, "redemption.fulfil_override", "redemption", redemption.id,
                 {"user_id": redemption.user_id, "reward_id": redemption.reward_id,
                  "reason": reason.strip(),
                  "failed_pickup_attempts": redemption.failed_pickup_attempts},
                 org_id=redemption.org_id, ip=ip)
    return redemption


def _leave_pending(session: Session, redemption: Redemption, status: str, now: datetime,
                   actor: User, *conditions) -> bool:
    """Move a pending redemption on if `conditions` hold; False if they do not (409 when it
    is no longer pending at all)."""
    stamp = ({"fulfilled_at": now, "fulfilled_by": actor.id} if status == "fulfilled"
             else {"cancelled_at": now, "cancelled_by": actor.id})
    moved = session.execute(
        update(Redemption).where(Redemption.id == redemption.id,
                                 Redemption.status == "pending", *conditions)
        .values(status=status, **stamp)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(redemption)
    if moved != 1 and redemption.status != "pending":
        raise RedemptionNotPending(details={"status": redemption.status})
    return moved == 1


# --- lists --------------------------------------------------------------------------------

def list_my_redemptions(session: Session, user: User, status: str | None, limit: int,
                        cursor: str | None) -> Page:
    """The person's own redemptions, newest first, optionally of one status."""
    stmt = select(Redemption).where(Redemption.user_id == user.id)
    if status:
        stmt = stmt.where(Redemption.status == status)
    return paginate_newest_first(session, stmt, Redemption.id, limit, cursor)


def list_org_redemptions(session: Session, org: Organisation, query: dict) -> Page:
    """Admin: the organisation's claims, newest first, `?status=&user_id=&pickup_code=`."""
    stmt = select(Redemption).where(Redemption.org_id == org.id)
    if query.get("status"):
        stmt = stmt.where(Redemption.status == query["status"])
    if query.get("user_id") is not None:
        stmt = stmt.where(Redemption.user_id == query["user_id"])
    if query.get("pickup_code"):
        stmt = stmt.where(Redemption.pickup_code == query["pickup_code"].strip().upper())
    return paginate_newest_first(session, stmt, Redemption.id, query["limit"], query["cursor"])

