"""The demo region for `flask seed-demo`: three institutions, their teams and people."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import hash_password
from app.models import Organisation, Team, User

DEMO_PASSWORD = "demo12345"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "霞", "平", "刚", "桂英", "志强", "建华", "晓东", "海燕", "文博",
         "子涵", "雨轩", "思远", "嘉怡", "浩然", "欣怡", "梓萱", "宇航", "佳琪", "晨曦", "一鸣"]

INSTITUTIONS = [
    {"key": "bj", "name": "北京市东城区机关事务管理局", "region": "beijing", "sector": "government",
     "headcount": 60, "floor_area_m2": 12000,
     "teams": ["办公室", "财务处", "后勤服务中心", "信息中心"], "staff": 56},
    {"key": "tj", "name": "天津市第一中学", "region": "tianjin", "sector": "school",
     "headcount": 52, "floor_area_m2": 30000,
     "teams": ["高一年级组", "高二年级组", "行政办公室"], "staff": 48},
    {"key": "he", "name": "河北省人民医院", "region": "hebei", "sector": "hospital",
     "headcount": 50, "floor_area_m2": 85000,
     "teams": ["内科", "外科"], "staff": 46},
]


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def seed_identity(session: Session, password_method: str) -> list[tuple[str, str, str]] | None:
    """Create the demo region once; None when it is already there."""
    if session.scalar(select(User).where(User.username == "coordinator")) is not None:
        return None
    rng = random.Random(2026)
    password_hash = hash_password(DEMO_PASSWORD, password_method)
    accounts = [("coordinator", "superadmin", "京津冀区域协调员")]
    session.add(User(username="coordinator", display_name="区域协调员", role="superadmin",
                     password_hash=password_hash))
    for spec in INSTITUTIONS:
        org = Organisation(name=spec["name"], region=spec["region"], sector=spec["sector"],
                           headcount=spec["headcount"], floor_area_m2=spec["floor_area_m2"])
        session.add(org)
        session.flush()
        teams = [Team(org_id=org.id, name=name) for name in spec["teams"]]
        session.add_all(teams)
        session.flush()
        key = spec["key"]
        named = [(f"{key}_admin", "admin"), (f"{key}_organizer", "organizer"),
                 (f"{key}_staff", "staff")]
        for username, role in named:
            session.add(User(username=username, display_name=chinese_name(rng), role=role,
                             org_id=org.id, team_id=teams[0].id, password_hash=password_hash,
                             employee_no=f"{key.upper()}{rng.randint(1000, 9999)}"))
            accounts.append((username, role, spec["name"]))
        for n in range(spec["staff"]):
            session.add(User(username=f"{key}_{n + 1:03d}", display_name=chinese_name(rng),
                             role="staff", org_id=org.id, team_id=teams[n % len(teams)].id,
                             employee_no=f"{key.upper()}{n + 1:04d}",
                             show_on_leaderboard=n % 17 != 5))
    session.flush()
    return accounts
