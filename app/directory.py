"""Who a token's bearer is, and an organisation's teams: kept in Redis for cheap reads.

A board read needs the signed-in person (active, same token version, session not revoked,
role, organisation, team) and their organisation's teams with member counts. Both come
from the database and are kept in Redis, so a board can be answered without SQL.

Each entry carries the generation of what it describes (`dir:u:{id}:gen` for a person,
`dir:o:{id}:gen` for an organisation) and the epoch (`dir:epoch`) read *before* the
database was: an entry is used only while both are unchanged. Every change to a person,
a team, an organisation or a sign-in session moves the generation right after it commits
(`app.after_commit`), in the request that makes it, so a deactivation, a role change, a
password change or a logout takes effect at once; an entry filled from a read that raced
the change carries the older generation and is never used. If Redis misses a generation
move (it was away), the epoch moves as soon as Redis answers again, which forgets every
entry; entries also expire after `ENTRY_TTL_S`. Without Redis everything is read from the
database, as before.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from functools import cache

from blinker import Namespace
from flask import Flask
from sqlalchemy import and_, bindparam, event, func, inspect, select
from sqlalchemy.orm import Session, object_session

from app.after_commit import defer
from app.models import Organisation, Team, User
from app.redis_store import RedisGateway, all_gateways, get_gateway

log = logging.getLogger(__name__)
ENTRY_TTL_S = 600
EPOCH = "dir:epoch"

signals = Namespace()
# Sent after a commit with `items`: ("u", user id) and ("o", organisation id) that changed.
directory_changed = signals.signal("app.directory-changed")


@dataclass(frozen=True)
class OrgDirectory:
    """An organisation and its teams, each team with its active members."""

    id: int
    name: str
    region: str
    sector: str
    headcount: int
    timezone: str
    teams: tuple[tuple[int, str, int], ...]  # (id, name, members)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as a cached read knows them (the board route's `current_user`)."""

    id: int
    org_id: int | None
    team_id: int | None
    role: str
    # Their organisation's entry, read in the same round trip and as current as theirs.
    home: OrgDirectory | None = None

    @property
    def enrolled(self) -> bool:
        return self.org_id is not None


Stamp = tuple[str, str]  # (generation, epoch) read before the database


def _stamp(answers: list) -> Stamp:
    return (answers[1] or "0", answers[2] or "0")


def _entry(answers: list) -> dict | None:
    if answers[0] is None:
        return None
    entry = json.loads(answers[0])
    return entry if (entry.pop("gen"), entry.pop("epoch")) == _stamp(answers) else None


def _store(gateway: RedisGateway, key: str, stamp: Stamp, data: dict) -> None:
    text = json.dumps({**data, "gen": stamp[0], "epoch": stamp[1]}, ensure_ascii=False)
    gateway.run(lambda client: client.set(key, text, ex=ENTRY_TTL_S))


# --- the signed-in person --------------------------------------------------------------

def viewer_of(session: Session, gateway: RedisGateway | None, claims: dict, load_user):
    """The token's person if the token still stands, else None: from Redis when it holds a
    current entry, else `load_user(session, claims)` (which reads the database).

    The entry of the organisation the token names is read in the same round trip: a board
    of it then needs no round trip of its own (`org_directory(..., viewer=...)`)."""
    if gateway is None:
        return load_user(session, claims)
    user_id, sid = int(claims["sub"]), claims.get("sid") or "-"
    org_id = claims.get("org")
    key = gateway.key("dir", "u", user_id, sid)
    keys = [key, gateway.key("dir", "u", user_id, "gen"), gateway.key(EPOCH)]
    if isinstance(org_id, int) and not isinstance(org_id, bool):
        keys += [gateway.key("dir", "o", org_id), gateway.key("dir", "o", org_id, "gen")]
    answers = gateway.run(lambda client: client.mget(keys))
    if answers is None:
        return load_user(session, claims)
    entry = _entry(answers)
    if entry is not None:
        # Only standing tokens are kept: their version must still be the token's.
        if entry["ver"] != claims.get("ver", 0):
            return None
        home = None
        if len(answers) == 5 and entry["org"] == org_id:
            home = _org_of(_entry([answers[3], answers[4], answers[2]]))
        return Viewer(user_id, entry["org"], entry["team"], entry["role"], home)
    user = load_user(session, claims)
    if user is not None:
        _store(gateway, key, _stamp(answers), {"ver": user.token_version or 0,
                                               "org": user.org_id, "team": user.team_id,
                                               "role": user.role})
    return user


# --- an organisation and its teams -------------------------------------------------------

def org_directory(session: Session, gateway: RedisGateway | None, org_id: int,
                  viewer: object = None) -> OrgDirectory | None:
    """An organisation with its teams and their active members; None if there is none.
    The `viewer`'s own organisation comes with them when it was current (`viewer_of`)."""
    home = getattr(viewer, "home", None)
    if home is not None and home.id == org_id:
        return home
    if gateway is None:
        return _org_from_database(session, org_id)
    key = gateway.key("dir", "o", org_id)
    answers = gateway.run(lambda client: client.mget(
        key, gateway.key("dir", "o", org_id, "gen"), gateway.key(EPOCH)))
    if answers is None:
        return _org_from_database(session, org_id)
    found = _org_of(_entry(answers))
    if found is not None:
        return found
    found = _org_from_database(session, org_id)
    if found is not None:
        _store(gateway, key, _stamp(answers), asdict(found))
    return found


def _org_of(entry: dict | None) -> OrgDirectory | None:
    """The organisation an entry holds; None for an entry of another layout (read again)."""
    if entry is None or entry.keys() != _ORG_FIELDS:
        return None
    return OrgDirectory(**{**entry, "teams": tuple(tuple(team) for team in entry["teams"])})


_ORG_FIELDS = {field.name for field in fields(OrgDirectory)}


def _org_from_database(session: Session, org_id: int) -> OrgDirectory | None:
    org = session.get(Organisation, org_id)  # loaded with the signed-in user: no query
    if org is None:
        return None
    teams = session.execute(_teams_with_members(), {"org_id": org_id}).all()
    return OrgDirectory(org.id, org.name, org.region, org.sector, org.headcount, org.timezone,
                        tuple((t.id, t.name, t.members) for t in teams))


@cache
def _teams_with_members():
    # Built once: composing the statement costs more Python than running it.
    org_id = bindparam("org_id")
    return (select(Team.id, Team.name, func.count(User.id).label("members"))
            .outerjoin(User, and_(User.team_id == Team.id, User.org_id == org_id,
                                  User.is_active.is_(True)))
            .where(Team.org_id == org_id).group_by(Team.id, Team.name))


# --- forgetting ---------------------------------------------------------------------------

def forget(session: Session, *, users=(), orgs=()) -> None:
    """After this transaction commits, entries of these people and organisations are stale."""
    items = [("u", u) for u in users if u is not None] + [("o", o) for o in orgs
                                                          if o is not None]
    if items:
        defer(session, directory_changed, *items)


def forget_everything(gateway: RedisGateway) -> None:
    """Move the epoch: every entry is read again from the database (board rebuilds, and
    Redis answering again after an outage, when a generation move may have been lost)."""
    gateway.run(lambda client: client.incr(gateway.key(EPOCH)))


def _move_generations(app: Flask | None, items: list) -> None:
    # Outside an app context (a script, a test's own session) every gateway of the process
    # is told: a stale entry must never outlive a change, wherever it was committed.
    gateway = get_gateway(app) if app is not None else None
    for each in [gateway] if gateway is not None else all_gateways():
        keys = sorted({each.key("dir", kind, ident, "gen") for kind, ident in items})

        def run(client, keys=keys):
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.incr(key)
            return pipe.execute()

        if each.run(run) is None:
            log.warning("directory entries may be stale until Redis answers again")


def _changed_user(_mapper, _connection, user: User) -> None:
    session = object_session(user)
    if session is not None:
        moved_from = inspect(user).attrs.org_id.history.deleted or ()
        forget(session, users=[user.id], orgs=[user.org_id, *moved_from])


def _changed_team(_mapper, _connection, team: Team) -> None:
    session = object_session(team)
    if session is not None:
        forget(session, orgs=[team.org_id])


def _changed_org(_mapper, _connection, org: Organisation) -> None:
    session = object_session(org)
    if session is not None:
        forget(session, orgs=[org.id])


_installed = False


def init_directory(app: Flask) -> None:
    """Connect the receivers (once per process) and forget everything when Redis comes back."""
    global _installed
    if not _installed:
        _installed = True
        directory_changed.connect(_move_generations)
        for event_name in ("after_insert", "after_update", "after_delete"):
            event.listen(User, event_name, _changed_user)
            event.listen(Team, event_name, _changed_team)
            event.listen(Organisation, event_name, _changed_org)
    gateway = get_gateway(app)
    if gateway is not None:
        gateway.on_recovery.append(lambda: forget_everything(gateway))
