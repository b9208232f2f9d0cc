"""Rewards (admin): the catalogue, a new reward (名称, 所需积分, 库存, 保存), edits, stock
movements with their reasons, archiving. Every write is the points domain's own function."""

from __future__ import annotations

from flask import url_for

from app.clock import now_utc
from app.errors import NotFound
from app.extensions import db
from app.service import organisation_for
from console import queries
from console.blueprint import bp
from console.web import client_ip, current_user, form_data, page, render, saved, t
from points import rewards
from points.schemas import RewardIn, RewardPatch, StockIn

LABELS = {"name": "rewards.name", "cost_points": "rewards.cost", "stock": "rewards.stock",
          "description": "rewards.description", "per_user_limit": "rewards.per_user_limit",
          "delta": "rewards.delta", "reason": "common.reason",
          "available_from": "rewards.available_from", "available_until": "rewards.available_until",
          "image_url": "rewards.image_url"}
CATALOGUE_LIMIT = 100


def _org_reward(org_id: int, reward_id: int):
    org = organisation_for(db.session, current_user(), org_id, "admin")
    reward = rewards.reward_in_scope(db.session, current_user(), reward_id)
    if reward.org_id != org.id:
        raise NotFound()
    return org, reward


@bp.route("/orgs/<int:org_id>/rewards", methods=["GET"])
@page("admin")
def rewards_page(org_id):
    """The whole catalogue and the latest stock movements."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    catalogue = rewards.list_org_rewards(db.session, org, None, CATALOGUE_LIMIT, None)
    return render("rewards.html", title=t("rewards.title"), org=org, rewards=catalogue.items,
                  movements=queries.stock_movements(db.session, org.id))


@bp.route("/orgs/<int:org_id>/rewards", methods=["POST"])
@page("admin")
def rewards_create(org_id):
    """保存 a new reward; its initial stock is its first stock movement."""
    org = organisation_for(db.session, current_user(), org_id, "admin")
    data = form_data(RewardIn(), LABELS, blank_is_none=("per_user_limit",))
    reward = rewards.create_reward(db.session, current_user(), org, data, now_utc(), client_ip())
    db.session.commit()
    return saved(url_for("console.reward_page", org_id=org.id, reward_id=reward.id))


@bp.route("/orgs/<int:org_id>/rewards/<int:reward_id>", methods=["GET"])
@page("admin")
def reward_page(org_id, reward_id):
    """One reward: edit it, move its stock, see its movements."""
    org, reward = _org_reward(org_id, reward_id)
    return render("reward.html", title=reward.name, org=org, reward=reward,
                  movements=queries.stock_movements(db.session, org.id, reward.id))


@bp.route("/orgs/<int:org_id>/rewards/<int:reward_id>", methods=["POST"])
@page("admin")
def reward_update(org_id, reward_id):
    """Edit name, description, cost, limit, window or image (a new cost applies from now)."""
    org, reward = _org_reward(org_id, reward_id)
    changes = form_data(RewardPatch(), LABELS, blank_is_none=(
        "per_user_limit", "available_from", "available_until", "image_url"))
    rewards.update_reward(db.session, current_user(), reward, changes, now_utc(), client_ip())
    db.session.commit()
    return saved(url_for("console.reward_page", org_id=org.id, reward_id=reward.id))


@bp.route("/orgs/<int:org_id>/rewards/<int:reward_id>/stock", methods=["POST"])
@page("admin")
def reward_stock(org_id, reward_id):
    """Put stock in or take it out, with a reason (never below zero)."""
    org, reward = _org_reward(org_id, reward_id)
    data = form_data(StockIn(), LABELS)
    rewards.change_stock(db.session, current_user(), reward, data["delta"], data["reason"],
                         now_utc(), client_ip())
    db.session.commit()
    return saved(url_for("console.reward_page", org_id=org.id, reward_id=reward.id))


@bp.route("/orgs/<int:org_id>/rewards/<int:reward_id>/archive", methods=["POST"])
@page("admin")
def reward_archive(org_id, reward_id):
    """下架: the reward leaves the catalogue; pending claims can still be collected."""
    org, reward = _org_reward(org_id, reward_id)
    rewards.archive_reward(db.session, current_user(), reward, now_utc(), client_ip())
    db.session.commit()
    return saved(url_for("console.rewards_page", org_id=org.id))
