"""Points seen by their owner, and adjustments by an admin.

Rewards live in `points.rewards`, redemptions in `points.redemptions`; all three only
move points through `points.ledger.credit_points`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record_audit
from app.calendar import local_day
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.i18n import FieldMessage
from app.models import Organisation, User, role_at_least
from app.pagination import paginate_newest_first
from app.service import organisation_for, user_in_org
from app.shared_rows import SharedRows
from points.contributions import record_contribution
from points.ledger import InsufficientPoints, account_of, credit_points
from points.models import LedgerEntry

# --- access -------------------------------------------------------------------------


def home_organisation(session: Session, actor: User, org_id: int | None,
                      min_role: str) -> Organisation:
    """The organisation named by `org_id`, or the actor's own; a superadmin must name one."""
    if org_id is None:
        if actor.org_id is None:
            raise Unprocessable(details={"org_id": [FieldMessage("org_required_for_superadmin")]})
        org_id = actor.org_id
    return organisation_for(session, actor, org_id, min_role)


def in_actor_scope(actor: User, org_id: int) -> None:
    """Another organisation's object is 404 (its existence is not revealed)."""
    if actor.role != "superadmin" and actor.org_id != org_id:
        raise NotFound()


def require_admin_of(actor: User, org_id: int) -> None:
    """404 outside the actor's organisation, 403 below admin inside it."""
    in_actor_scope(actor, org_id)
    if not role_at_least(actor.role, "admin"):
        raise Forbidden()


# --- the owner's statement ----------------------------------------------------------------

def points_statement(session: Session, user: User, limit: int, cursor: str | None) -> dict:
    """Balance, lifetime earnings and ledger entries, newest first."""
    balance, earned_total = account_of(session, user.id)
    page = paginate_newest_first(session, select(LedgerEntry).where(LedgerEntry.user_id == user.id),
                                 LedgerEntry.id, limit, cursor)
    return {"balance": balance, "earned_total": earned_total, "items": page.items,
            "next_cursor": page.next_cursor}


# --- adjustments ----------------------------------------------------------------------

def adjust_points(session: Session, actor: User, org: Organisation, data: dict, now: datetime,
                  ip: str | None) -> LedgerEntry:
    """Admin: add or remove points with a reason; audited, shown in the person's statement.

    An adjustment counts as earning (kind `adjust`), so boards move with it, on the
    organisation's local day. A removal beyond the balance is refused (409 balance_negative).
    """
    if data["user_id"] == actor.id:
        raise Forbidden("self_adjustment")  # no one sets their own balance
    user = user_in_org(session, org, data["user_id"])
    delta, reason = data["delta"], data["reason"]
    shared = SharedRows()
    try:
        result = credit_points(session, user_id=user.id, org_id=org.id, team_id=user.team_id,
                               delta=delta, kind="adjust", source_type="adjustment",
                               source_id=uuid.uuid4().hex, now=now, reason=reason,
                               actor_id=actor.id, shared=shared)
    except InsufficientPoints as exc:
        raise Conflict("balance_negative", details=exc.details) from exc
    record_contribution(session, user_id=user.id, org_id=org.id, team_id=user.team_id,
                        day=local_day(now, org.timezone), points=delta, shared=shared)
    record_audit(session, actor, "points.adjust", "user", user.id,
                 {"delta": delta, "reason": reason, "ledger_entry_id": result.entry.id,
                  "balance_after": result.entry.balance_after}, org_id=org.id, ip=ip)
    shared.write(session)
    return result.entry
