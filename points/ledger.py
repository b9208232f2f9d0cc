"""Where points move: `credit_points` for every live change (`credit_earnings`, its form for
many new sources at once, and `earnings_ctes`, the same as part of the PostgreSQL
statement that creates those sources), `append_past_credits` for seeding a history in
bulk. Nothing else writes the ledger.

Each `credit_points` call appends one entry and moves the account in the caller's
transaction. The account update is a single conditional statement (`balance + delta >= 0`), so two
concurrent spends can never both pass, on PostgreSQL (row lock) or on SQLite
(BEGIN IMMEDIATE). The unique `(source_type, source_id)` makes a repeated credit a
no-op that returns the first entry. Each new entry also moves its organisation's
points of the day (`OrgDailyPoints`, see `org_points_change`), the call's last statement:
that row is shared by the whole organisation and stays locked until the COMMIT, so a
caller with more work after the credit passes `shared` (`app.shared_rows`) and writes the
move at its own end, with the other shared rows it moves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Integer, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.bulk import insert_rows
from app.calendar import local_day
from app.errors import Conflict
from app.models import Organisation
from app.shared_rows import SharedRows
from app.upserts import additive_upsert, params
from points.models import EARNING_KINDS, LEDGER_KINDS, LedgerEntry, OrgDailyPoints, PointsAccount


class InsufficientPoints(Conflict):
    code = "insufficient_points"


class LedgerResult:
    """The entry written (or found, for a repeated source) and whether it is new."""

    __slots__ = ("entry", "created")

    def __init__(self, entry: LedgerEntry, created: bool):
        self.entry = entry
        self.created = created


def ensure_account(session: Session, user_id: int, now: datetime) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(PointsAccount)
                    .values(user_id=user_id, balance=0, earned_total=0, updated_at=now)
                    .on_conflict_do_nothing(index_elements=["user_id"]))


def lock_account(session: Session, user_id: int) -> int:
    """Hold the person's account row until the transaction ends; return the balance.

    A no-op conditional UPDATE: on PostgreSQL it takes the row lock, so every spend,
    credit and limit count of this person queues behind it (under READ COMMITTED each
    later statement sees what the previous holder committed). SQLite's BEGIN IMMEDIATE
    already serialises writers, and the statement is harmless there. Someone without an
    account has nothing to lock and a balance of 0 (no spend can pass for them).
    """
    balance = session.execute(update(PointsAccount)
                              .where(PointsAccount.user_id == user_id)
                              .values(balance=PointsAccount.balance)
                              .returning(PointsAccount.balance)).scalar_one_or_none()
    return balance or 0


def credit_points(session: Session, *, user_id: int, org_id: int | None, team_id: int | None,
                  delta: int, kind: str, source_type: str, source_id: object, now: datetime,
                  reason: str | None = None, actor_id: int | None = None,
                  shared: SharedRows | None = None) -> LedgerResult:
    """Append one ledger entry and move the balance (and earnings for earning kinds).

    Raises InsufficientPoints when the balance would go below zero. A second call with
    the same source changes nothing and returns the first entry. Earnings of sources
    created in the same transaction (logged activities) go through `credit_earnings`.
    The organisation's day moves last, or is added to `shared` when given.
    """
    if kind not in LEDGER_KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    if not isinstance(delta, int) or isinstance(delta, bool):
        raise TypeError("points are integers")
    source_id = str(source_id)
    if delta < 0:
        # A spend can fail on the balance: a repeated source answers its entry first.
        existing = _entry_for_source(session, source_type, source_id)
        if existing is not None:
            return LedgerResult(existing, created=False)
        ensure_account(session, user_id, now)
        move = _balance_move(user_id, kind, delta, now)
    else:
        # A credit cannot fail on the balance: one upsert opens or moves the account, and
        # a repeated source is caught by the unique key below, its move rolled back with
        # the savepoint (two statements fewer on every earning).
        move = _credit_move(session, user_id, kind, delta, now)
    entry = LedgerEntry(user_id=user_id, org_id=org_id, team_id=team_id, delta=delta, kind=kind,
                        source_type=source_type, source_id=source_id, reason=reason,
                        actor_id=actor_id, created_at=now)
    try:
        with session.begin_nested():
            _append(session, move, entry)
    except IntegrityError:
        # The same source was credited concurrently and committed first.
        existing = _entry_for_source(session, source_type, source_id)
        if existing is None:
            raise
        return LedgerResult(existing, created=False)
    _add_org_points(session, entry.org_id, kind, delta, now, shared)
    return LedgerResult(entry, created=True)


def spend_points(session: Session, *, user_id: int, org_id: int | None, team_id: int | None,
                 cost: int, kind: str, source_type: str, source_id: object, now: datetime,
                 reason: str | None = None, shared: SharedRows | None = None) -> int:
    """`credit_points` of `-cost` for a source created in this very transaction (a
    redemption), answering the balance it leaves: no repeat can exist, so no pre-read and
    no savepoint. One conditional account move (which takes the person's row lock) and one
    insert; InsufficientPoints (someone without an account has 0) leaves the caller to roll
    back. The organisation's day moves last, or is added to `shared` when given.
    """
    if kind not in LEDGER_KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    if isinstance(cost, bool) or not isinstance(cost, int) or cost <= 0:
        raise ValueError("a spend costs a positive integer")
    balance_after = session.execute(*_balance_move(user_id, kind, -cost, now)).scalar()
    if balance_after is None:
        raise InsufficientPoints(details={"needed": cost, "balance": balance_of(session, user_id)})
    # The entry is not read back: a Core insert, no ORM object to flush.
    session.execute(_new_entry(), {
        "user_id": user_id, "org_id": org_id, "team_id": team_id, "delta": -cost, "kind": kind,
        "source_type": source_type, "source_id": str(source_id), "reason": reason,
        "balance_after": balance_after, "actor_id": None, "created_at": now})
    _add_org_points(session, org_id, kind, -cost, now, shared)
    return balance_after


@cache
def _new_entry():
    return insert(LedgerEntry.__table__)


def spend_ctes(*, source: str, reason: str) -> str:
    """`spend_points` as two CTEs of one PostgreSQL statement, `account` then `entry`, for a
    source created by the CTE `source` (its `id` and `cost`) in the same statement: the
    account moves only if its balance stays >= 0, and the entry (kind `:spend_kind`, not an
    earning kind: earnings stay as they are) is written only if it moved. `reason` is an SQL
    expression; the caller's `:user_id`, `:org_id`, `:team_id` and `:now` are used.
    `spent` finishes the spend with what the statement answered."""
    return f"""account AS (
  UPDATE points_accounts SET balance = points_accounts.balance - {source}.cost,
    updated_at = :now
  FROM {source}
  WHERE points_accounts.user_id = :user_id AND points_accounts.balance - {source}.cost >= 0
  RETURNING points_accounts.balance
),
entry AS (
  INSERT INTO ledger_entries (user_id, org_id, team_id, delta, kind, source_type, source_id,
    reason, balance_after, actor_id, created_at)
  SELECT :user_id, :org_id, CAST(:team_id AS integer), -{source}.cost, :spend_kind,
    :spend_source_type, CAST({source}.id AS text), {reason}, account.balance, NULL, :now
  FROM {source} CROSS JOIN account
  RETURNING 1
)"""


def spent(session: Session, *, user_id: int, org_id: int | None, kind: str, cost: int,
          balance_after: int | None, now: datetime, shared: SharedRows | None = None,
          org_day: date | None = None) -> int:
    """After a statement with `spend_ctes`: its balance left (the `account` CTE's), or
    InsufficientPoints when the account did not move; the organisation's day moves as
    `spend_points` moves it (`org_day`: that day, when the statement read the
    organisation's time zone)."""
    if kind in EARNING_KINDS:
        raise ValueError("spend_ctes leaves earnings as they are")
    if balance_after is None:
        raise InsufficientPoints(details={"needed": cost, "balance": balance_of(session, user_id)})
    _add_org_points(session, org_id, kind, -cost, now, shared, org_day)
    return balance_after


@dataclass(frozen=True)
class Earning:
    """One earning of `credit_earnings`: points for a source created in this transaction."""

    delta: int
    source_id: str
    reason: str | None = None


def credit_earnings(session: Session, *, user_id: int, org_id: int, team_id: int | None,
                    source_type: str, earnings: list[Earning], now: datetime,
                    shared: SharedRows | None = None) -> None:
    """`credit_points(kind="earn")` for many sources of one person created in this very
    transaction, at once (SQLite's logging path; PostgreSQL's writes the same rows inside
    its one statement, `earnings_ctes`).

    One account move for their sum, one multi-row insert of the entries (each with the
    balance it left, in order) and one move of the organisation's day (last, or added to
    `shared`). The sources are new
    in this transaction, so no repeat can exist; earnings are >= 0, so the balance cannot
    fail.
    """
    earnings = [e for e in earnings if e.delta]
    if any(isinstance(e.delta, bool) or not isinstance(e.delta, int) or e.delta < 0
           for e in earnings):
        raise ValueError("earnings are integers >= 0")
    if not earnings:
        return
    total = sum(e.delta for e in earnings)
    balance = session.execute(*_credit_move(session, user_id, "earn", total, now)).scalar_one()
    balance -= total
    rows = []
    for earning in earnings:
        balance += earning.delta
        rows.append({"user_id": user_id, "org_id": org_id, "team_id": team_id,
                     "delta": earning.delta, "kind": "earn", "source_type": source_type,
                     "source_id": earning.source_id, "reason": earning.reason,
                     "balance_after": balance, "actor_id": None, "created_at": now})
    session.execute(insert(LedgerEntry.__table__), rows)
    _add_org_points(session, org_id, "earn", total, now, shared)


# `credit_earnings` as parts of one PostgreSQL statement that also creates the sources
# (the logging path, `activities.logbook_sql`): the same account move for the sum and the
# same entries, each with the balance it left, written where the sources are written.

def earnings_ctes(*, sources: str, after: str, rows: str) -> str:
    """Two CTEs, `account` then `ledger`: the earnings of `earnings_params`, for sources
    whose ids a CTE named `sources` gives as (ord, id); they wait for the CTE `after`.
    `rows`: a SQL JSON value holding `earnings_params`' "earn" rows."""
    return f"""account AS (
  INSERT INTO points_accounts (user_id, balance, earned_total, updated_at)
  SELECT :user_id, :earn_total, :earn_total, :now
  WHERE CAST(:earn_total AS integer) > 0 * (SELECT count(*) FROM {after})
  ON CONFLICT (user_id) DO UPDATE
    SET balance = points_accounts.balance + excluded.balance,
        earned_total = points_accounts.earned_total + excluded.earned_total,
        updated_at = excluded.updated_at
  RETURNING balance
),
ledger AS (
  INSERT INTO ledger_entries (user_id, org_id, team_id, delta, kind, source_type, source_id,
    reason, balance_after, actor_id, created_at)
  SELECT :user_id, :org_id, CAST(:team_id AS integer), v.delta, 'earn', :earn_source_type,
    CAST({sources}.id AS text), v.reason, account.balance - :earn_total + v.running, NULL,
    :now
  FROM json_to_recordset({rows}) AS v(ord integer, delta integer, reason text,
    running integer)
  JOIN {sources} ON {sources}.ord = v.ord
  CROSS JOIN account
  WHERE (SELECT count(*) FROM account) >= 0
  ORDER BY v.ord
  RETURNING 1
)"""


def org_points_cte(*, after: str) -> str:
    """The CTE `org_points`: the earnings' move of their organisation's day (issued), after
    the CTE `after` (a shared row: the statement's last write)."""
    return f"""org_points AS (
  INSERT INTO org_daily_points (org_id, day, issued, redeemed)
  SELECT :org_id, CAST(:earn_day AS date), :earn_total, 0
  WHERE CAST(:earn_total AS integer) > 0 * (SELECT count(*) FROM {after})
  ON CONFLICT (org_id, day) DO UPDATE SET issued = org_daily_points.issued + excluded.issued
  RETURNING 1
)"""


def earnings_params(earnings: list[tuple[int, int, str]], day: date,
                    source_type: str = "activity") -> tuple[dict, list[dict]]:
    """Parameters of `earnings_ctes` and `org_points_cte` (with the caller's user_id,
    org_id, team_id and now), and the rows for their JSON value: (index of the source,
    points > 0, reason) in order, and the organisation-local day the points are issued
    on."""
    rows, total = [], 0
    for index, delta, reason in earnings:
        if isinstance(delta, bool) or not isinstance(delta, int) or delta <= 0:
            raise ValueError("earnings are integers > 0")
        total += delta
        rows.append({"ord": index + 1, "delta": delta, "reason": reason, "running": total})
    return {"earn_total": total, "earn_day": day, "earn_source_type": source_type}, rows


def _append(session: Session, move: tuple, entry: LedgerEntry) -> None:
    """Move the account (a statement and its parameters), then write the entry with the
    balance it left."""
    balance_after = session.execute(*move).scalar_one_or_none()
    if balance_after is None:
        raise InsufficientPoints(details={"needed": -entry.delta,
                                          "balance": balance_of(session, entry.user_id)})
    entry.balance_after = balance_after
    session.add(entry)
    session.flush()


def org_points_change(kind: str, delta: int) -> tuple[int, int]:
    """(issued, redeemed) moved by one entry.

    Earning kinds (earn, adjust, bonus) move `issued` by their delta, so a void's negative
    adjustment lowers it; a redemption (negative delta) adds to `redeemed` and a refund
    takes its amount back off. An expiry is neither issued nor redeemed: it only lowers
    balances, and counting it as redeemed would overstate the rewards handed out.
    """
    if kind in EARNING_KINDS:
        return delta, 0
    if kind in ("redeem", "refund"):
        return 0, -delta
    return 0, 0


def org_local_day(session: Session, org_id: int, at: datetime) -> date:
    """The organisation-local calendar day of an instant.

    `session.get` answers from the identity map when the caller already loaded the
    organisation (logging, voids, redemptions do), so this usually costs no query.
    """
    org = session.get(Organisation, org_id)
    return local_day(at, org.timezone if org else None)


def _balance_move(user_id: int, kind: str, delta: int, now: datetime):
    """The conditional account update (no row when the balance would go below zero)."""
    return _balance_move_statement(), {
        "account": user_id, "delta": delta, "now": now,
        "earned_delta": delta if kind in EARNING_KINDS else 0}


@cache
def _balance_move_statement():
    # Built once: composing it costs more Python than its round trip.
    table = PointsAccount.__table__
    delta = bindparam("delta", type_=Integer)
    earned_delta = bindparam("earned_delta", type_=Integer)
    return (update(table)
            .where(table.c.user_id == bindparam("account"), table.c.balance + delta >= 0,
                   table.c.earned_total + earned_delta >= 0)
            .values(balance=table.c.balance + delta,
                    earned_total=table.c.earned_total + earned_delta,
                    updated_at=bindparam("now", type_=table.c.updated_at.type))
            .returning(table.c.balance))


def _credit_move(session: Session, user_id: int, kind: str, delta: int, now: datetime):
    """The account moved by a credit (delta >= 0), opened by the same statement if need be."""
    earned_delta = delta if kind in EARNING_KINDS else 0
    statement = additive_upsert(session, PointsAccount, keys=("user_id",),
                                adds=("balance", "earned_total"), replaces=("updated_at",),
                                returning="balance")
    return statement, params(user_id=user_id, balance=delta, earned_total=earned_delta,
                             updated_at=now)


def _add_org_points(session: Session, org_id: int | None, kind: str, delta: int,
                    now: datetime, shared: SharedRows | None = None,
                    day: date | None = None) -> None:
    """An entry's move of its organisation's day: written now, or added to `shared`."""
    issued, redeemed = org_points_change(kind, delta)
    if org_id is None or not (issued or redeemed):
        return
    day = day or org_local_day(session, org_id, now)
    statement = additive_upsert(session, OrgDailyPoints, keys=("org_id", "day"),
                                adds=("issued", "redeemed"))
    values = params(org_id=org_id, day=day, issued=issued, redeemed=redeemed)
    if shared is None:
        session.execute(statement, values)
    else:
        shared.add(statement, (org_id, day), values)


def _entry_for_source(session: Session, source_type: str, source_id: str) -> LedgerEntry | None:
    return session.scalar(select(LedgerEntry).where(LedgerEntry.source_type == source_type,
                                                    LedgerEntry.source_id == source_id))


def balance_of(session: Session, user_id: int) -> int:
    return session.scalar(select(PointsAccount.balance)
                          .where(PointsAccount.user_id == user_id)) or 0


def account_of(session: Session, user_id: int) -> tuple[int, int]:
    """(balance, earned_total); (0, 0) for someone who never earned."""
    row = session.execute(select(PointsAccount.balance, PointsAccount.earned_total)
                          .where(PointsAccount.user_id == user_id)).first()
    return (row[0], row[1]) if row else (0, 0)


def ledger_sum(session: Session, user_id: int) -> int:
    """The balance recomputed from the ledger (invariant: equals the account's balance)."""
    return session.scalar(select(func.coalesce(func.sum(LedgerEntry.delta), 0))
                          .where(LedgerEntry.user_id == user_id)) or 0


@dataclass(frozen=True)
class PastCredit:
    """An earning of the past, appended in bulk by `append_past_credits` (demo history)."""

    user_id: int
    org_id: int
    team_id: int | None
    delta: int
    source_type: str
    source_id: str
    reason: str
    created_at: datetime


def append_past_credits(session: Session, credits: list[PastCredit]) -> int:
    """Append many 'earn' entries at once, in their order, as `credit_points` would one by one.

    For seeding history only: no idempotency check (the sources must be new) and no
    spending (deltas >= 0, so no balance check can fail). Accounts move once per person;
    the organisation points per day once per (organisation, day). Answers entries written.
    """
    if any(c.delta < 0 for c in credits):
        raise ValueError("past credits are earnings (delta >= 0)")
    users = sorted({c.user_id for c in credits})
    now = max((c.created_at for c in credits), default=None)
    for user_id in users:
        ensure_account(session, user_id, now)
    balances = dict(session.execute(select(PointsAccount.user_id, PointsAccount.balance)
                                    .where(PointsAccount.user_id.in_(users))).all())
    earned = dict.fromkeys(users, 0)
    rows = []
    org_days: dict[tuple[int, date], int] = defaultdict(int)
    for credit in credits:
        balances[credit.user_id] += credit.delta
        earned[credit.user_id] += credit.delta
        rows.append({"user_id": credit.user_id, "org_id": credit.org_id,
                     "team_id": credit.team_id, "delta": credit.delta, "kind": "earn",
                     "source_type": credit.source_type, "source_id": credit.source_id,
                     "reason": credit.reason, "balance_after": balances[credit.user_id],
                     "actor_id": None, "created_at": credit.created_at})
        org_days[(credit.org_id, org_local_day(session, credit.org_id,
                                                credit.created_at))] += credit.delta
    if rows:
        insert_rows(session, LedgerEntry.__table__, rows)
        session.execute(update(PointsAccount.__table__)
                        .where(PointsAccount.__table__.c.user_id == bindparam("uid"))
                        .values(balance=PointsAccount.__table__.c.balance + bindparam("earned"),
                                earned_total=PointsAccount.__table__.c.earned_total
                                + bindparam("earned"), updated_at=now),
                        [{"uid": u, "earned": earned[u]} for u in users])
    if org_days:
        stmt = _insert_for(session)(OrgDailyPoints.__table__)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["org_id", "day"],
            set_={"issued": OrgDailyPoints.__table__.c.issued + stmt.excluded.issued}),
            [{"org_id": org_id, "day": day, "issued": issued, "redeemed": 0}
             for (org_id, day), issued in org_days.items()])
    return len(rows)


def _insert_for(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
