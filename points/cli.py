"""Flask CLI commands and demo data of the points domain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import now_utc
from app.extensions import db
from app.models import Organisation
from points.expiry import expire_points
from points.models import PointsPolicy, Reward, RewardStockMovement

points_cli = AppGroup("points", help="积分 (points)")

# (name, description, cost_points, stock, per_user_limit). At 1 point per 10 g saved
# (FACTORS.md) a cycling commuter earns a few hundred points a week.
DEMO_CATALOGUE = [
    ("公交一卡通充值 20 元", "京津冀互通卡充值，凭取货码到综合办公室领取充值凭证", 2000, 30, 2),
    ("环保随行水杯", "304 不锈钢保温杯 400 ml，告别一次性纸杯", 1200, 40, 1),
    ("桌面绿植（绿萝）", "小盆绿萝，净化办公室空气", 800, 25, 2),
    ("环保主题图书", "《寂静的春天》《零碳中国》等书目任选一本", 1500, 20, 1),
    ("食堂代金券 10 元", "本单位职工食堂通用，当月有效", 1000, 100, 5),
    ("帆布环保购物袋", "可折叠帆布袋，减少塑料袋使用", 500, 80, 2),
    ("共享单车月卡", "主流共享单车平台 30 天骑行卡兑换码", 1800, 15, 1),
]
DEMO_STOCK_REASON = "演示数据初始库存 (demo initial stock)"


# At 30 g a point a regular commuter (metro 17 km, e-bike 9 km, bike 6 km each way) earns
# ~1,200-1,900 points a month: one mid-priced reward of the catalogue (1,000-1,500).
DEMO_GRAMS_PER_POINT = 30
# (monthly_earn_cap, expiry_months, annual_budget_fen) of the first demo institutions by id:
# one whose points expire after a year, one with a monthly cap; the rest only the rate.
DEMO_POLICIES = [(None, 12, 3_000_000), (2000, None, 2_000_000)]


def seed_points_policies(session: Session, echo: Callable[[str], None]) -> None:
    """A points policy for every organisation without one (after the bulk history, which
    predates the policies, and before the recent days are logged under them)."""
    has_policy = select(PointsPolicy.org_id).where(PointsPolicy.org_id == Organisation.id)
    orgs = session.scalars(select(Organisation).where(~has_policy.exists())
                           .order_by(Organisation.id)).all()
    for n, org in enumerate(orgs):
        cap, expiry, budget = DEMO_POLICIES[n] if n < len(DEMO_POLICIES) else (None, None, None)
        session.add(PointsPolicy(org_id=org.id, grams_per_point=DEMO_GRAMS_PER_POINT,
                                 monthly_earn_cap=cap, expiry_months=expiry,
                                 point_value_e4=100, annual_budget_fen=budget,
                                 updated_at=now_utc()))
        echo(f"  积分规则 (points policy): {org.name}: {DEMO_GRAMS_PER_POINT} g/分"
             + (f"，每月上限 {cap}" if cap else "") + (f"，{expiry} 个月过期" if expiry else ""))
    session.flush()


def seed_rewards(session: Session, echo: Callable[[str], None]) -> None:
    """Give every organisation without a catalogue the demo one (a second run adds nothing)."""
    now = now_utc()
    has_catalogue = select(Reward.id).where(Reward.org_id == Organisation.id).exists()
    orgs = session.scalars(select(Organisation).where(~has_catalogue)
                           .order_by(Organisation.id)).all()
    for org in orgs:
        for name, description, cost, stock, limit in DEMO_CATALOGUE:
            reward = Reward(org_id=org.id, name=name, description=description, cost_points=cost,
                            stock=stock, per_user_limit=limit, created_at=now, updated_at=now)
            session.add(reward)
            session.flush()
            session.add(RewardStockMovement(reward_id=reward.id, org_id=org.id, delta=stock,
                                            stock_after=stock, reason=DEMO_STOCK_REASON,
                                            created_at=now))
        echo(f"  奖品目录 (rewards): {org.name}: {len(DEMO_CATALOGUE)} 件")
    session.flush()


@points_cli.command("expire")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as of this organisation-local day (YYYY-MM-DD) instead of today.")
def expire(as_of: datetime | None) -> None:
    """Expire points past their organisation's expiry_months, oldest first (idempotent)."""
    run = expire_points(db.session, now_utc(), as_of.date() if as_of else None,
                        commit=db.session.commit)
    db.session.commit()
    click.echo(f"过期积分 (points expired): {run.points}，涉及 {run.people} 人 (people)，"
               f"{run.organisations} 个单位 (organisations)")


def register_commands(app: Flask) -> None:
    """Add this domain's commands and its demo seeder (run by `flask seed-demo`)."""
    if "points" not in app.cli.commands:
        app.cli.add_command(points_cli)
    seeders = app.extensions.setdefault("demo_seeders", [])
    if seed_points_policies not in seeders:
        seeders.append(seed_points_policies)
    if seed_rewards not in seeders:
        seeders.append(seed_rewards)
