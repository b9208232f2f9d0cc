"""Reading boards: from Redis when it is ready, else from SQL; the same answer either way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import DEFAULT_TIMEZONE, local_day
from app.directory import OrgDirectory, org_directory
from app.errors import NotFound, Unprocessable
from app.figures import competition_ranks, kg, per_capita_kg, share
from app.i18n import FieldMessage
from app.models import Organisation, Team, User
from app.redis_store import RedisGateway
from leaderboards import queries
from leaderboards.hooks import boards_not_ready
from leaderboards.periods import (
    PERIOD_KINDS,
    Period,
    campaign_period,
    period_containing,
)
from leaderboards.store import NOT_BUILT, READY, board_key, read_people
from reports.withholding import withhold_small

METRICS = ("co2e", "points", "per_capita_co2e", "participation_rate")


@dataclass
class BoardRequest:
    scope: str
    period: str = "week"
    metric: str = "co2e"
    org_id: int | None = None
    team_id: int | None = None
    region: str | None = None
    limit: int = 20


@dataclass
class Board:
    period: Period
    metric: str
    entries: list[dict] = field(default_factory=list)
    me: dict | None = None
    source: str = "sql"


def _value(metric: str, totals: queries.Totals, members: int):
    if metric == "co2e":
        return float(kg(totals.co2e_g))
    if metric == "points":
        return totals.points
    if metric == "per_capita_co2e":
        return float(per_capita_kg(totals.co2e_g, members) or 0)
    return float(share(totals.participants, members) or 0)


def _ranked(rows: list[tuple[int, str, object, int | None]], limit: int,
            me_id: int | None) -> tuple[list[dict], dict | None]:
    """rows of (id, name, value, members) -> top entries and the caller's place (1, 2, 2, 4)."""
    rows.sort(key=lambda r: (-r[2], r[0]))
    entries, me = [], None
    ranks = competition_ranks([value for _, _, value, _ in rows])
    for position, ((row_id, name, value, members), rank) in enumerate(zip(rows, ranks,
                                                                          strict=True)):
        if position < limit:
            entry = {"rank": rank, "id": row_id, "name": name, "value": value}
            if members is not None:
                entry["members"] = members
            entries.append(entry)
        if row_id == me_id:
            me = {"rank": rank, "value": value}
    return entries, me


PERIOD_CHOICES = "week, month, year, all, campaign:<id>"


def resolve_period(session: Session, viewer: User, request: BoardRequest, timezone: str,
                   now: datetime) -> Period:
    if request.period.startswith("campaign:"):
        return _campaign_period(session, viewer, request.period, timezone)
    if request.period not in PERIOD_KINDS:
        raise Unprocessable(details={"period": [FieldMessage("one_of", choices=PERIOD_CHOICES)]})
    return period_containing(request.period, local_day(now, timezone), timezone)


def _campaign_period(session: Session, viewer: User, text: str, timezone: str) -> Period:
    from campaigns.models import Campaign

    raw_id = text.removeprefix("campaign:")
    if not raw_id.isdigit() or len(raw_id) > 12:
        raise Unprocessable(details={"period": [FieldMessage("one_of", choices=PERIOD_CHOICES)]})
    campaign = session.get(Campaign, int(raw_id))
    viewer_org = session.get(Organisation, viewer.org_id) if viewer.org_id else None
    visible = campaign is not None and (
        viewer.role == "superadmin"
        or (viewer_org is not None and (campaign.org_id == viewer_org.id
                                        or campaign.region == viewer_org.region)))
    if not visible:
        raise NotFound()
    return campaign_period(campaign.id, campaign.starts_at, campaign.ends_at, timezone)


def _org_in_view(session: Session, viewer: User, org_id: int | None) -> Organisation:
    org_id = org_id or viewer.org_id
    org = session.get(Organisation, org_id) if org_id else None
    if org is None or (viewer.role != "superadmin" and org.id != viewer.org_id):
        raise NotFound()
    return org


def read_board(session: Session, gateway: RedisGateway | None, viewer: User,
               request: BoardRequest, now: datetime) -> Board:
    """One board: users (of an org or team), teams (of an org) or orgs (of a region)."""
    if request.metric not in METRICS:
        raise Unprocessable(details={"metric": [FieldMessage("one_of",
                                                          choices=", ".join(METRICS))]})
    if request.period.startswith("campaign:"):
        gateway = None  # campaign boards sum the campaign's own activities, in SQL
    # Each board asks Redis whether it is ready in the same round trip as its read.
    if request.scope == "users":
        return _users_board(session, gateway, viewer, request, now)
    if request.scope == "teams":
        return _teams_board(session, gateway, viewer, request, now)
    return _orgs_board(session, gateway, viewer, request, now)


def _users_board(session, gateway, viewer, request, now) -> Board:
    if request.metric not in ("co2e", "points"):
        raise Unprocessable(details={"metric": [FieldMessage("person_board_metrics")]})
    org = _org_in_view(session, viewer, request.org_id)
    period = resolve_period(session, viewer, request, org.timezone, now)
    team_id = request.team_id
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.org_id != org.id:
            raise NotFound()
    hidden = set(session.scalars(select(User.id).where(
        User.org_id == org.id, User.show_on_leaderboard.is_(False))))
    me_id = viewer.id if viewer.id not in hidden else None
    scored = None
    if gateway is not None:
        scored = _users_from_redis(gateway, period, org.id, team_id, request, hidden, me_id)
    source = "redis"
    if scored is None:
        source = "sql"
        totals = queries.user_totals(session, period, org_id=org.id, team_id=team_id)
        scored = ([(uid, _value(request.metric, t, 0)) for uid, t in totals.items()
                   if uid not in hidden], None)
    rows, me = scored
    rows.sort(key=lambda r: (-r[1], r[0]))
    shown = [r[0] for r in rows[:request.limit]]
    names = dict(session.execute(select(User.id, User.display_name)
                                 .where(User.id.in_(shown))).all())
    entries, me_from_rows = _ranked([(uid, names.get(uid, ""), v, None) for uid, v in rows],
                                    request.limit, me_id)
    return Board(period, request.metric, entries, me if me is not None else me_from_rows,
                 source)


def _score(metric: str, raw: float):
    return float(kg(int(raw))) if metric == "co2e" else int(raw)


def _users_from_redis(gateway, period, org_id, team_id, request, hidden, me_id):
    """Top `limit` visible people and the caller's place in O(log N + limit + hidden),
    in one round trip."""
    key = board_key(gateway, period, "ut" if team_id else "uo", team_id or org_id,
                    request.metric)
    answer = read_people(gateway, key, request.limit + len(hidden), me_id, sorted(hidden))
    if answer is NOT_BUILT:
        boards_not_ready()
    if not answer:
        return None
    top, my_score, above = answer
    rows = [(int(m), _score(request.metric, s)) for m, s in top if int(m) not in hidden]
    me = None
    if me_id is not None and my_score is not None:
        me = {"rank": above + 1, "value": _score(request.metric, my_score)}
    return rows, me


# KEYS[1]: the ready flag; KEYS[2..]: small boards, each answered whole (member, score, ...).
_READ_BOARDS = """
local out = {redis.call('EXISTS', KEYS[1])}
for i = 2, #KEYS do out[i] = redis.call('ZRANGE', KEYS[i], 0, -1, 'WITHSCORES') end
return out
"""


# The board each metric is ranked from (`leaderboards.store` keeps one per figure).
BOARD_OF_METRIC = {"co2e": "co2e", "per_capita_co2e": "co2e", "points": "points",
                   "participation_rate": "part"}
_TOTALS_FIELD = {"co2e": "co2e_g", "points": "points", "part": "participants"}


def _totals_from_redis(gateway, period, scope, scope_id, ids, boards) -> dict | None:
    """Totals of `ids` on `boards` (the figures a request ranks or checks, the others left
    at 0), or None when Redis is away or not rebuilt yet. A board of teams or
    organisations is small: it is read whole, by one script call for all (one command to
    send and one answer to parse, rather than a pipeline)."""
    keys = [gateway.key(READY)]
    if ids:
        keys += [board_key(gateway, period, scope, scope_id, board) for board in boards]
    read = gateway.script(_READ_BOARDS)
    answer = gateway.run(lambda client: read(keys=keys, client=client))
    if answer is None:
        return None
    if answer[0] != 1:
        boards_not_ready()
        return None
    if not ids:
        return {}
    columns = [(_TOTALS_FIELD[board], dict(zip(read_board[::2], read_board[1::2], strict=True)))
               for board, read_board in zip(boards, answer[1:], strict=True)]
    return {i: queries.Totals(**{field: int(values.get(str(i), 0))
                                 for field, values in columns})
            for i in ids}


def _directory_in_view(session: Session, gateway, viewer, org_id: int | None) -> OrgDirectory:
    """The organisation of the board with its teams, from Redis when it holds them."""
    org_id = org_id or viewer.org_id
    if org_id is None or (viewer.role != "superadmin" and org_id != viewer.org_id):
        raise NotFound()
    found = org_directory(session, gateway, org_id, viewer)
    if found is None:
        raise NotFound()
    return found


def _teams_board(session, gateway, viewer, request, now) -> Board:
    org = _directory_in_view(session, gateway, viewer, request.org_id)
    period = resolve_period(session, viewer, request, org.timezone, now)
    ids = [team_id for team_id, _name, _members in org.teams]
    boards = (BOARD_OF_METRIC[request.metric],)
    totals = _totals_from_redis(gateway, period, "to", org.id, ids, boards) if gateway else None
    source = "redis" if totals is not None else "sql"
    if totals is None:
        totals = queries.team_totals(session, period, org_id=org.id)
    rows = [(team_id, name, _value(request.metric, totals.get(team_id, queries.Totals()),
                                   members), members) for team_id, name, members in org.teams]
    entries, me = _ranked(rows, request.limit, viewer.team_id)
    return Board(period, request.metric, entries, me, source)


def _orgs_board(session, gateway, viewer, request, now) -> Board:
    viewer_org = session.get(Organisation, viewer.org_id) if viewer.org_id else None
    region = request.region or (viewer_org.region if viewer_org else None)
    stmt = select(Organisation.id, Organisation.name, Organisation.headcount,
                  Organisation.timezone)
    if region:
        stmt = stmt.where(Organisation.region == region)
    orgs = session.execute(stmt).all()
    timezone = viewer_org.timezone if viewer_org else DEFAULT_TIMEZONE
    period = resolve_period(session, viewer, request, timezone, now)
    ids = [o.id for o in orgs]
    # Participants decide what is withheld from outside an organisation.
    boards = tuple(dict.fromkeys((BOARD_OF_METRIC[request.metric], "part")))
    totals = _totals_from_redis(gateway, period, "o", None, ids, boards) if gateway else None
    source = "redis" if totals is not None else "sql"
    if totals is None:
        totals = queries.org_totals(session, period, org_ids=ids)
    shown, withheld = [], []
    for o in orgs:
        figures = totals.get(o.id, queries.Totals())
        if _withheld_from(viewer, o.id, figures):
            withheld.append(o)
        else:
            shown.append((o.id, o.name, _value(request.metric, figures, o.headcount),
                          o.headcount))
    entries, me = _ranked(shown, request.limit, viewer.org_id)
    for entry in entries:
        entry["withheld"] = False
    room = max(0, request.limit - len(entries))
    entries += [{"rank": None, "id": o.id, "name": o.name, "value": None,
                 "members": o.headcount, "withheld": True}
                for o in sorted(withheld, key=lambda o: o.id)[:room]]
    return Board(period, request.metric, entries, me, source)


def _withheld_from(viewer: User, org_id: int, figures: queries.Totals) -> bool:
    """An organisation of fewer than 10 participants in the period, seen from outside it
    (the public disclosure's rule): its figures would show a few people's."""
    if viewer.role == "superadmin" or viewer.org_id == org_id:
        return False
    return withhold_small(figures.participants).withheld
