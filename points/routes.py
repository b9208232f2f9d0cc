"""HTTP routes of points, rewards and redemptions: auth, parse, one service call, dump."""

from __future__ import annotations

from flask import request

import points.models  # noqa: F401 - registers the tables
from app import metrics
from app.auth import authenticated, client_ip, current_user
from app.clock import now_utc
from app.extensions import db
from app.idempotency import REPLAYED_HEADER, run_idempotent
from app.openapi import Blueprint
from app.pagination import PageQuery
from app.service import organisation_for
from points import expiry, policy, redemptions, rewards, service
from points.schemas import (
    IDEMPOTENCY_KEY_HEADER,
    REDEEM_DOC,
    REDEEM_OUT,
    AdjustmentIn,
    AdjustmentOut,
    FulfilIn,
    OrgRedemptionQuery,
    OrgRewardQuery,
    PointsOut,
    PointsPolicyOut,
    PointsPolicyPatch,
    RedeemOut,
    RedemptionAdminOut,
    RedemptionAdminPage,
    RedemptionOut,
    RedemptionPage,
    RedemptionQuery,
    RewardIn,
    RewardOut,
    RewardPage,
    RewardPatch,
    RewardQuery,
    StockIn,
    error_responses,
)

blp = Blueprint("points", __name__, url_prefix="/api/v1",
                description="积分、奖品与兑换 (points, rewards and redemptions)")


# --- points -----------------------------------------------------------------------------

@blp.route("/me/points", methods=["GET"])
@authenticated("staff")
@blp.arguments(PageQuery, location="query")
@blp.response(200, PointsOut)
def my_points(query):
    """Balance, lifetime earnings and the ledger, newest first."""
    user = current_user()
    statement = service.points_statement(db.session, user, query["limit"], query["cursor"])
    return {**statement, "expiring": expiry.expiring_points(db.session, user, now_utc())}


@blp.route("/orgs/<int:org_id>/points-policy", methods=["GET"])
@authenticated("admin")
@blp.response(200, PointsPolicyOut)
def get_points_policy(org_id):
    """Admin: the organisation's points policy (the defaults until one is set)."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    return policy.policy_of(db.session, org.id).view()


@blp.route("/orgs/<int:org_id>/points-policy", methods=["PATCH"])
@authenticated("admin")
@blp.arguments(PointsPolicyPatch)
@blp.response(200, PointsPolicyOut)
def patch_points_policy(data, org_id):
    """Admin: change the policy (audited); a new rate or cap applies to later entries."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    changed = policy.update_policy(db.session, current_user(), org, data, now_utc(),
                                   client_ip())
    db.session.commit()
    return changed.view()


@blp.route("/orgs/<int:org_id>/points-adjustments", methods=["POST"])
@authenticated("admin")
@blp.arguments(AdjustmentIn)
@blp.doc(**error_responses(s409="balance_negative: the removal exceeds the balance"))
@blp.response(201, AdjustmentOut)
def adjust_points(data, org_id):
    """Admin: add or remove a person's points with a reason (audited; 409 balance_negative)."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    entry = service.adjust_points(db.session, current_user(), org, data, now_utc(), client_ip())
    db.session.commit()
    return entry


# --- rewards ------------------------------------------------------------------------------

@blp.route("/rewards", methods=["GET"])
@authenticated("staff", enrolled=False)
@blp.arguments(RewardQuery, location="query")
@blp.response(200, RewardPage)
def list_rewards(query):
    """Rewards on offer in the caller's organisation (none before enrolling; a superadmin
    passes `org_id`)."""
    return rewards.list_rewards_on_offer(db.session, current_user(), query.get("org_id"),
                                         now_utc(), query["limit"], query["cursor"])


@blp.route("/rewards", methods=["POST"])
@authenticated("admin")
@blp.arguments(RewardIn)
@blp.response(201, RewardOut)
def create_reward(data):
    """Admin: add a reward to the own organisation (a superadmin passes `org_id`)."""
    org = service.home_organisation(db.session, current_user(), data["org_id"], "admin")
    reward = rewards.create_reward(db.session, current_user(), org, data, now_utc(), client_ip())
    db.session.commit()
    return reward


@blp.route("/rewards/<int:reward_id>", methods=["GET"])
@authenticated("staff")
@blp.response(200, RewardOut)
def get_reward(reward_id):
    """One reward of the caller's organisation."""
    return rewards.reward_in_scope(db.session, current_user(), reward_id)


@blp.route("/rewards/<int:reward_id>", methods=["PATCH"])
@authenticated("admin")
@blp.arguments(RewardPatch)
@blp.response(200, RewardOut)
def patch_reward(data, reward_id):
    """Admin: edit name, description, cost, limit, window or image."""
    reward = rewards.reward_in_scope(db.session, current_user(), reward_id)
    reward = rewards.update_reward(db.session, current_user(), reward, data, now_utc(),
                                   client_ip())
    db.session.commit()
    return reward


@blp.route("/rewards/<int:reward_id>", methods=["DELETE"])
@authenticated("admin")
@blp.response(200, RewardOut)
def archive_reward(reward_id):
    """Admin: archive a reward (it leaves the catalogue; pending claims stay valid)."""
    reward = rewards.reward_in_scope(db.session, current_user(), reward_id)
    reward = rewards.archive_reward(db.session, current_user(), reward, now_utc(), client_ip())
    db.session.commit()
    return reward


@blp.route("/rewards/<int:reward_id>/stock", methods=["POST"])
@authenticated("admin")
@blp.arguments(StockIn)
@blp.doc(**error_responses(s409="stock_negative: the removal exceeds the stock"))
@blp.response(200, RewardOut)
def change_stock(data, reward_id):
    """Admin: add or remove stock with a reason (409 stock_negative below zero)."""
    reward = rewards.reward_in_scope(db.session, current_user(), reward_id)
    reward = rewards.change_stock(db.session, current_user(), reward, data["delta"],
                                  data["reason"], now_utc(), client_ip())
    db.session.commit()
    return reward


@blp.route("/orgs/<int:org_id>/rewards", methods=["GET"])
@authenticated("admin")
@blp.arguments(OrgRewardQuery, location="query")
@blp.response(200, RewardPage)
def list_org_rewards(query, org_id):
    """Admin: the whole catalogue, archived and out-of-window rewards included."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    return rewards.list_org_rewards(db.session, org, query.get("archived"), query["limit"],
                                    query["cursor"])


# --- redemptions ---------------------------------------------------------------------------

@blp.route("/rewards/<int:reward_id>/redeem", methods=["POST"])
@authenticated("staff", cached=True)  # the person as the board reads them (app.directory)
@blp.doc(**REDEEM_DOC)
@blp.response(201, RedeemOut)
def redeem_reward(reward_id):
    """Redeem one unit; `Idempotency-Key` required, its first outcome replayed."""
    user, now = current_user(), now_utc()
    key = redemptions.idempotency_key_required(request.headers.get(IDEMPOTENCY_KEY_HEADER))

    def work():
        claim = redemptions.claim_reward(db.session, user, reward_id, now)
        return REDEEM_OUT.dump(claim.answer), 201, lambda: claim.take_last_unit(db.session)

    response = run_idempotent(db.session, user_id=user.id, scope="redeem", key=key,
                              payload={"reward_id": reward_id}, now=now, work=work)
    if response.status_code == 201 and REPLAYED_HEADER not in response.headers:
        metrics.REDEMPTIONS.inc()
    return response


@blp.route("/me/redemptions", methods=["GET"])
@authenticated("staff")
@blp.arguments(RedemptionQuery, location="query")
@blp.response(200, RedemptionPage)
def my_redemptions(query):
    """The caller's redemptions, newest first, `?status=`."""
    return redemptions.list_my_redemptions(db.session, current_user(), query.get("status"),
                                           query["limit"], query["cursor"])


@blp.route("/redemptions/<int:redemption_id>/cancel", methods=["POST"])
@authenticated("staff")
@blp.doc(**error_responses(s409="redemption_not_pending"))
@blp.response(200, RedemptionOut)
def cancel_redemption(redemption_id):
    """Owner or admin: cancel a pending redemption; points and stock come back once."""
    redemption = redemptions.cancel_redemption(db.session, current_user(), redemption_id,
                                               now_utc(), client_ip())
    db.session.commit()
    return redemption


@blp.route("/redemptions/<int:redemption_id>/fulfil", methods=["POST"])
@authenticated("admin")
@blp.arguments(FulfilIn)
@blp.doc(**error_responses(
    s409="redemption_not_pending, redemption_locked (5 wrong codes), redemption_not_locked",
    s422="pickup_code_mismatch (counted and audited) or invalid values"))
@blp.response(200, RedemptionAdminOut)
def fulfil_redemption(data, redemption_id):
    """Admin: hand the reward over against its pickup code; a locked one by override."""
    redemption = redemptions.fulfil_redemption(
        db.session, current_user(), redemption_id, data.get("pickup_code"), now_utc(),
        client_ip(), override_reason=data["reason"] if data["override"] else None)
    db.session.commit()
    return redemption


@blp.route("/orgs/<int:org_id>/redemptions", methods=["GET"])
@authenticated("admin")
@blp.arguments(OrgRedemptionQuery, location="query")
@blp.response(200, RedemptionAdminPage)
def org_redemptions(query, org_id):
    """Admin: the organisation's redemptions, newest first, `?status=&user_id=&pickup_code=`."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    return redemptions.list_org_redemptions(db.session, org, query)
