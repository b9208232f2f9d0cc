"""Rule 7: `flask seed-demo` gives every institution a realistic rewards catalogue, once."""

from __future__ import annotations

from sqlalchemy import func, select

from points.cli import DEMO_CATALOGUE, seed_rewards
from points.models import Reward
from tests.points.helpers import invariant_violations


def test_seed_demo_runs_the_rewards_seeder(app):
    assert seed_rewards in app.extensions["demo_seeders"]


def test_every_institution_gets_the_catalogue_once(make, session):
    orgs = [make.org(name="北京市东城区机关事务管理局"), make.org(name="天津市第一中学")]
    said = []
    seed_rewards(session, said.append)
    session.commit()
    seed_rewards(session, said.append)
    session.commit()
    counts = dict(session.execute(select(Reward.org_id, func.count(Reward.id))
                                  .group_by(Reward.org_id)).all())
    assert counts == {org.id: len(DEMO_CATALOGUE) for org in orgs}
    assert len(said) == 2
    assert invariant_violations(session) == []


def test_demo_catalogue_is_realistic(make, session):
    org = make.org()
    seed_rewards(session, lambda _line: None)
    session.commit()
    names = set(session.scalars(select(Reward.name).where(Reward.org_id == org.id)))
    assert {"公交一卡通充值 20 元", "环保随行水杯", "桌面绿植（绿萝）", "环保主题图书",
            "食堂代金券 10 元"} <= names
    assert all(100 <= cost <= 5000 and 0 < stock <= 200 for _, _, cost, stock, _ in DEMO_CATALOGUE)


def test_demo_policies_one_with_expiry_one_with_a_monthly_cap(app, make, session):
    from points.cli import seed_points_policies
    from points.policy import policy_of

    assert app.extensions["demo_seeders"].index(seed_points_policies) < app.extensions[
        "demo_seeders"].index(seed_rewards)
    orgs = [make.org(), make.org(), make.org()]
    seed_points_policies(session, lambda _line: None)
    session.commit()
    seed_points_policies(session, lambda _line: None)  # a second run changes nothing
    session.commit()
    policies = [policy_of(session, org.id) for org in orgs]
    assert [(p.expiry_months, p.monthly_earn_cap) for p in policies] == [
        (12, None), (None, 2000), (None, None)]
    assert {p.grams_per_point for p in policies} == {30}


def test_demo_flags_long_trips_for_review(app, make, session, clock):
    from activities.models import ActivityReview
    from activities.review_demo import seed_demo_reviews

    org = make.org()
    make.user(org, make.team(org))
    seed_demo_reviews(session, lambda _line: None, app.extensions["factor_registry"],
                      clock.now())
    session.commit()
    rules = session.scalars(select(ActivityReview.rule)).all()
    assert rules == ["long_trips"]
