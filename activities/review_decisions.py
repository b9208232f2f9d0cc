"""The review queue of an organisation and an admin's decision on a flagged entry.

`accept` keeps the entry as it is. `void` voids the entry and takes back its carbon
(contributions, rollups, daily usage, monthly earnings) and its points with a
compensating ledger entry (kind `adjust`, ref `review:<id>`) whose reason is the
admin's, so the person reads it in their statement.

Points already spent: a balance never goes negative, so a void takes what is left
(down to zero) and records the rest as the review's `shortfall_points`; the admin sees
it in the answer and the queue. Refusing instead would leave a wrong entry standing
because its owner was quick to spend it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from activities.logbook import lock_person, mark_voided, take_back_entry
from activities.models import Activity, ActivityReview
from app.audit import record_audit
from app.errors import Conflict, NotFound
from app.models import Organisation, User
from app.pagination import Page, paginate_newest_first
from app.service import organisation_for
from app.shared_rows import SharedRows
from points.ledger import credit_points, lock_account


class ReviewDecided(Conflict):
    code = "review_decided"


def list_reviews(session: Session, org: Organisation, status: str | None, limit: int,
                 cursor: str | None) -> Page:
    """The organisation's reviews, newest first, `?status=`."""
    stmt = select(ActivityReview).where(ActivityReview.org_id == org.id)
    if status:
        stmt = stmt.where(ActivityReview.status == status)
    page = paginate_newest_first(session, stmt, ActivityReview.id, limit, cursor)
    _attach_activities(session, page.items)
    return page


def _attach_activities(session: Session, reviews: list[ActivityReview]) -> None:
    """One query for the page's activities (then `review.activity` reads the identity map)."""
    ids = [review.activity_id for review in reviews]
    if ids:
        session.scalars(select(Activity).where(Activity.id.in_(ids))).all()
    for review in reviews:
        review.activity = session.get(Activity, review.activity_id)


def decide_review(session: Session, actor: User, review_id: int, decision: str, reason: str,
                  now: datetime, ip: str | None) -> ActivityReview:
    """Admin of the review's organisation: accept or void, once (409 review_decided)."""
    review = session.get(ActivityReview, review_id)
    if review is None:
        raise NotFound()
    organisation_for(session, actor, review.org_id, "admin")
    status = "accepted" if decision == "accept" else "voided"
    # Conditional: of two admins deciding at once exactly one moves anything.
    decided = session.execute(
        update(ActivityReview).where(ActivityReview.id == review.id,
                                     ActivityReview.status == "open")
        .values(status=status, decided_by=actor.id, decided_at=now, reason=reason)
        .execution_options(synchronize_session="evaluate")).rowcount
    if decided != 1:
        raise ReviewDecided()
    activity = session.get(Activity, review.activity_id)
    shared = SharedRows()
    if status == "voided":
        review.shortfall_points = _void_entry(session, review, activity, reason, now, shared)
    session.flush()
    record_audit(session, actor, f"review.{decision}", "activity_review", review.id,
                 {"activity_id": activity.id, "rule": review.rule, "reason": reason,
                  "shortfall_points": review.shortfall_points}, org_id=review.org_id, ip=ip)
    shared.write(session)
    review.activity = activity
    return review


def _void_entry(session: Session, review: ActivityReview, activity: Activity, reason: str,
                now: datetime, shared: SharedRows) -> int:
    """Void the entry, take back carbon and as many points as the balance holds (the
    shared rows' moves added to `shared`); answers the shortfall."""
    lock_person(session, activity.user_id)
    mark_voided(session, activity, now)
    balance = lock_account(session, activity.user_id)
    taken = min(activity.points, balance)
    # Written even when nothing is left to take: the person reads the reason there.
    credit_points(session, user_id=activity.user_id, org_id=activity.org_id,
                  team_id=activity.team_id, delta=-taken, kind="adjust",
                  source_type="review", source_id=review.id, now=now,
                  reason=f"审核撤销 (voided on review): {reason}"[:200], shared=shared)
    take_back_entry(session, activity, shared)
    return activity.points - taken
