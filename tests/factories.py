"""Test data factories (indico's `create_user` style): committed rows, tokens, headers."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from app.auth import hash_password, issue_access_token, token_settings
from app.clock import Clock
from app.models import Organisation, Team, User

_counter = itertools.count(1)


def now_of(session: Session) -> datetime:
    """The test clock's instant, for helpers handed only the test's `session`."""
    return session.info["clock"].now()


class Factory:
    def __init__(self, session: Session, app):
        self.session = session
        self.app = app

    @property
    def clock(self) -> Clock:
        return self.app.extensions["clock"]

    def org(self, name: str | None = None, region: str = "beijing", sector: str = "government",
            headcount: int = 50, **fields) -> Organisation:
        org = Organisation(name=name or f"测试单位{next(_counter)}", region=region, sector=sector,
                           headcount=headcount, floor_area_m2=fields.pop("floor_area_m2", 1000),
                           timezone=fields.pop("timezone", "Asia/Shanghai"), **fields)
        self.session.add(org)
        self.session.commit()
        return org

    def team(self, org: Organisation, name: str | None = None) -> Team:
        team = Team(org_id=org.id, name=name or f"团队{next(_counter)}")
        self.session.add(team)
        self.session.commit()
        return team

    def user(self, org: Organisation | None = None, team: Team | None = None,
             role: str = "staff", username: str | None = None, password: str | None = None,
             **fields) -> User:
        n = next(_counter)
        user = User(username=username or f"user{n}", display_name=fields.pop("display_name",
                                                                               f"测试用户{n}"),
                    org_id=org.id if org else None, team_id=team.id if team else None,
                    role=role, password_hash=hash_password(password, "pbkdf2:sha256:1000")
                    if password else None, **fields)
        self.session.add(user)
        self.session.commit()
        return user

    def users(self, count: int, org: Organisation, team: Team | None = None,
              role: str = "staff") -> list[User]:
        people = [User(username=f"bulk{next(_counter)}", display_name="批量用户", org_id=org.id,
                       team_id=team.id if team else None, role=role) for _ in range(count)]
        self.session.add_all(people)
        self.session.commit()
        return people

    def token(self, user: User, now: datetime | None = None) -> str:
        return issue_access_token(user, token_settings(self.app.config), now or self.clock.now())

    def headers(self, user: User, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}", **extra}
