"""HTTP routes of the behaviour catalogue, carbon estimates and activity logging."""

from __future__ import annotations

from flask import current_app

from activities import logbook, review_decisions, service, summary
from activities.models import Activity
from activities.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPage,
    ActivityQuery,
    ActivityTypeList,
    BatchIn,
    BatchOut,
    DecisionIn,
    EstimateIn,
    EstimateOut,
    ReviewOut,
    ReviewPage,
    ReviewQuery,
    SummaryOut,
    batch_answer,
)
from app import metrics
from app.auth import authenticated, client_ip, current_user
from app.clock import now_utc
from app.extensions import db
from app.openapi import Blueprint, documented_json
from app.ratelimit import check_rate
from app.redis_store import get_gateway
from app.service import organisation_for
from points.schemas import error_responses

blp = Blueprint("activities", __name__, url_prefix="/api/v1",
                description="低碳行为与碳减排 (behaviours and carbon)")

# Burst guard: logging requests per person (a batch counts once) in a fixed window.
LOG_REQUESTS_PER_WINDOW = 30
LOG_WINDOW_S = 15 * 60


def _registry():
    return current_app.extensions["factor_registry"]


def _check_burst(claims: dict) -> None:
    """Run before the user is loaded: the shared counter must not wait on this request's
    own transaction."""
    check_rate(get_gateway(current_app), f"activities:{claims['sub']}",
               LOG_REQUESTS_PER_WINDOW, LOG_WINDOW_S)


def _keep_loaded(activities) -> None:
    """Answer replays with their rows as read: detached, a commit does not expire them,
    which spares one SELECT per replayed activity after the commit. (New entries are
    answered from what was written, `NewActivity`, not from mapped rows.)"""
    for activity in activities:
        if isinstance(activity, Activity) and activity in db.session:
            db.session.expunge(activity)


@blp.route("/activity-types", methods=["GET"])
@authenticated("staff", enrolled=False)
@blp.response(200, ActivityTypeList)
def list_activity_types():
    """The behaviour catalogue, with per-unit carbon for the caller's region."""
    return {"items": service.activity_catalogue(db.session, current_user(), _registry(),
                                                now_utc())}


@blp.route("/carbon/estimate", methods=["POST"])
@authenticated("staff", enrolled=False)
@blp.arguments(EstimateIn)
@blp.response(200, EstimateOut)
def estimate(data):
    """What an entry would save and earn, with baseline, project and factors; logs nothing."""
    return service.estimate_carbon(db.session, current_user(), data["type"], data["quantity"],
                                   _registry(), now_utc())


@blp.route("/activities", methods=["POST"])
@authenticated("staff", before_load=_check_burst, lock_user=True)
@blp.arguments(ActivityIn)
@blp.response(201, ActivityOut)
def log_activity(entry):
    """Log a behaviour; a replayed client_id answers the original activity."""
    logged = logbook.log_activity(db.session, current_user(), entry, _registry(), now_utc(),
                                  person_locked=True)
    _keep_loaded([logged.activity])
    db.session.commit()
    if logged.created:
        metrics.ACTIVITIES_LOGGED.inc()
    return logged.activity


@blp.route("/activities/batch", methods=["POST"])
@authenticated("staff", before_load=_check_burst, lock_user=True)
@blp.arguments(BatchIn)
@blp.response(200, BatchOut)
def log_batch(data):
    """Log up to 100 entries, each judged on its own (created, duplicate or rejected)."""
    results = logbook.log_batch(db.session, current_user(), data["items"], _registry(),
                                now_utc(), person_locked=True)
    _keep_loaded([r.activity for r in results if r.activity is not None])
    db.session.commit()
    metrics.ACTIVITIES_LOGGED.inc(sum(1 for r in results if r.status == "created"))
    return documented_json(batch_answer(results))


@blp.route("/activities/<int:activity_id>", methods=["DELETE"])
@authenticated("staff")
@blp.response(200, ActivityOut)
def void_activity(activity_id):
    """Void one's own activity on the day it was logged: points and carbon reversed."""
    activity = logbook.void_activity(db.session, current_user(), activity_id, now_utc())
    db.session.commit()
    return activity


@blp.route("/me/activities", methods=["GET"])
@authenticated("staff")
@blp.arguments(ActivityQuery, location="query")
@blp.response(200, ActivityPage)
def my_activities(query):
    """One's own activities, newest first, `?from=&to=&type=&status=`."""
    return service.activity_history(db.session, current_user(), query, query["limit"],
                                    query["cursor"])


@blp.route("/me/summary", methods=["GET"])
@authenticated("staff")
@blp.response(200, SummaryOut)
def my_summary():
    """Balance, carbon today/week/month/year/total, streak, team rank and equivalents."""
    return summary.summarise(db.session, current_user(), _registry(), now_utc())


@blp.route("/orgs/<int:org_id>/reviews", methods=["GET"])
@authenticated("admin")
@blp.arguments(ReviewQuery, location="query")
@blp.response(200, ReviewPage)
def org_reviews(query, org_id):
    """Admin: flagged self-reported entries, newest first, `?status=open|accepted|voided`."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    return review_decisions.list_reviews(db.session, org, query.get("status"), query["limit"],
                                         query["cursor"])


@blp.route("/reviews/<int:review_id>/decide", methods=["POST"])
@authenticated("admin")
@blp.arguments(DecisionIn)
@blp.doc(**error_responses(s409="review_decided; activity_already_voided (its owner voided it)"))
@blp.response(200, ReviewOut)
def decide_review(data, review_id):
    """Admin: accept, or void with a reason (points and carbon reversed); 409 review_decided."""
    review = review_decisions.decide_review(db.session, current_user(), review_id,
                                            data["decision"], data["reason"], now_utc(),
                                            client_ip())
    db.session.commit()
    return review
