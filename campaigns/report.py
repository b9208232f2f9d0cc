"""A campaign's report: participation by team, carbon by behaviour, points, top teams, change.

Read from the accepted activities that carry the campaign's id (a voided one no longer
counts) and from the check-ins at its events, like the progress on GET /campaigns/{id}.
A contribution counts for the team the person belonged to when it was made. Available
while the campaign runs; `final` once it has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from activities.factors import FactorRegistry
from activities.models import Activity
from app.figures import competition_ranks, kg, percent_change, share
from app.models import Organisation, Team, User
from campaigns.models import Campaign, CampaignEvent, Checkin
from campaigns.progress import UNASSIGNED, headcount_of
from campaigns.service import campaign_view, status_of, writable_campaign

TOP_TEAMS = 5
TeamKey = tuple[int, int | None]  # (org_id, team_id); team None: people in no team


@dataclass(frozen=True)
class Totals:
    """What two campaigns are compared on."""

    co2e_saved_g: int
    participants: int
    participation_rate: Decimal
    points: int


def _accepted(campaign_id: int) -> tuple:
    return Activity.campaign_id == campaign_id, Activity.status == "accepted"


def _checkins(session: Session, campaign_id: int) -> list[tuple[int, int | None, int, int]]:
    """(org_id, team_id, user_id, points) of every check-in at the campaign's events."""
    return [tuple(row) for row in session.execute(
        select(Checkin.org_id, Checkin.team_id, Checkin.user_id, Checkin.points)
        .join(CampaignEvent, CampaignEvent.id == Checkin.event_id)
        .where(CampaignEvent.campaign_id == campaign_id))]


def _participants(session: Session, campaign_id: int, checkins: list) -> set[tuple]:
    """(org_id, team_id, user_id) of everyone who logged under the campaign or checked in."""
    logged = session.execute(select(Activity.org_id, Activity.team_id, Activity.user_id)
                             .distinct().where(*_accepted(campaign_id)))
    return {tuple(row) for row in logged} | {(o, t, u) for o, t, u, _ in checkins}


def campaign_totals(session: Session, campaign: Campaign) -> Totals:
    """Carbon, participants, participation rate and points (activities + check-ins)."""
    grams, points = session.execute(
        select(func.coalesce(func.sum(Activity.co2e_saved_g), 0),
               func.coalesce(func.sum(Activity.points), 0)).where(*_accepted(campaign.id))).one()
    checkins = _checkins(session, campaign.id)
    people = {user_id for _, _, user_id in _participants(session, campaign.id, checkins)}
    rate = share(len(people), headcount_of(session, campaign)) or Decimal(0)
    return Totals(int(grams), len(people), rate, int(points) + sum(p for *_, p in checkins))


def previous_campaign(session: Session, campaign: Campaign) -> Campaign | None:
    """The latest campaign of the same scope that ended before this one started."""
    scope = (Campaign.org_id == campaign.org_id if campaign.org_id is not None
             else Campaign.region == campaign.region)
    return session.scalar(select(Campaign).where(scope, Campaign.id != campaign.id,
                                                 Campaign.ends_at <= campaign.starts_at)
                          .order_by(Campaign.ends_at.desc(), Campaign.id.desc()).limit(1))


def _comparison(session: Session, campaign: Campaign, current: Totals) -> dict | None:
    previous = previous_campaign(session, campaign)
    if previous is None:
        return None
    before = campaign_totals(session, previous)
    return {"campaign_id": previous.id, "name": previous.name,
            "starts_at": previous.starts_at, "ends_at": previous.ends_at,
            "co2e_saved_kg": kg(before.co2e_saved_g), "participants": before.participants,
            "participation_rate": before.participation_rate, "points": before.points,
            "change_percent": {
                "co2e_saved_kg": percent_change(current.co2e_saved_g, before.co2e_saved_g),
                "participants": percent_change(current.participants, before.participants),
                "participation_rate": percent_change(current.participation_rate,
                                                     before.participation_rate),
                "points": percent_change(current.points, before.points)}}


# --- teams ----------------------------------------------------------------------------

def _scope_org_ids(session: Session, campaign: Campaign) -> list[int]:
    if campaign.org_id is not None:
        return [campaign.org_id]
    return list(session.scalars(select(Organisation.id)
                                .where(Organisation.region == campaign.region)))


def _rosters(session: Session, org_ids: list[int]) -> dict[TeamKey, dict]:
    """Every team of the scope with its active members, and each organisation's unassigned."""
    members = (func.count(User.id))
    teams = session.execute(
        select(Team.org_id, Team.id, Team.name, members)
        .outerjoin(User, (User.team_id == Team.id) & User.is_active.is_(True))
        .where(Team.org_id.in_(org_ids)).group_by(Team.org_id, Team.id, Team.name))
    rosters = {(org_id, team_id): {"name": name, "members": int(count)}
               for org_id, team_id, name, count in teams}
    loose = session.execute(select(User.org_id, members)
                            .where(User.org_id.in_(org_ids), User.team_id.is_(None),
                                   User.is_active.is_(True)).group_by(User.org_id))
    for org_id, count in loose:
        rosters[(org_id, None)] = {"name": UNASSIGNED, "members": int(count)}
    return rosters


def _team_name(session: Session, team_id: int | None) -> str:
    team = session.get(Team, team_id) if team_id is not None else None
    return team.name if team is not None else UNASSIGNED


def _team_rows(session: Session, campaign: Campaign, checkins: list) -> list[dict]:
    """One row per team of the scope (unassigned only when they took part), by carbon."""
    rosters = _rosters(session, _scope_org_ids(session, campaign))
    logged = {(org_id, team_id): (int(n), int(g), int(p)) for org_id, team_id, n, g, p in
              session.execute(select(Activity.org_id, Activity.team_id, func.count(Activity.id),
                                     func.sum(Activity.co2e_saved_g), func.sum(Activity.points))
                              .where(*_accepted(campaign.id))
                              .group_by(Activity.org_id, Activity.team_id))}
    people: dict[TeamKey, set[int]] = {}
    for org_id, team_id, user_id in _participants(session, campaign.id, checkins):
        people.setdefault((org_id, team_id), set()).add(user_id)
    checkin_points: dict[TeamKey, int] = {}
    for org_id, team_id, _, points in checkins:
        checkin_points[(org_id, team_id)] = checkin_points.get((org_id, team_id), 0) + points
    keys = {k for k in rosters if k[1] is not None} | set(people)
    rows = []
    for key in keys:
        roster = rosters.get(key) or {"name": _team_name(session, key[1]), "members": 0}
        activities, grams, activity_points = logged.get(key, (0, 0, 0))
        taking_part = len(people.get(key, ()))
        rows.append({"org_id": key[0], "team_id": key[1], "name": roster["name"],
                     "members": roster["members"], "participants": taking_part,
                     "participation_rate": share(taking_part, roster["members"]) or Decimal(0),
                     "activities": activities, "co2e_saved_g": grams,
                     "activity_points": activity_points,
                     "checkin_points": checkin_points.get(key, 0),
                     "points": activity_points + checkin_points.get(key, 0)})
    for row, rank in zip(rows, competition_ranks([r["co2e_saved_g"] for r in rows]), strict=True):
        row["rank"] = rank
        row["co2e_saved_kg"] = kg(row.pop("co2e_saved_g"))
    return sorted(rows, key=lambda r: (r["rank"], r["org_id"], r["team_id"] is None,
                                       r["team_id"] or 0))


# --- behaviours -------------------------------------------------------------------------

def _behaviour_names(registry: FactorRegistry) -> dict[str, tuple[str, str]]:
    """Behaviour key -> (name_zh, name_en); the latest factor set's name wins."""
    return {b.key: (b.name_zh, b.name_en) for s in registry.sets for b in s.behaviours}


def _behaviour_rows(session: Session, campaign_id: int, registry: FactorRegistry) -> list[dict]:
    names = _behaviour_names(registry)
    stmt = (select(Activity.type, func.count(Activity.id), func.sum(Activity.co2e_saved_g),
                   func.sum(Activity.points), func.count(distinct(Activity.user_id)))
            .where(*_accepted(campaign_id)).group_by(Activity.type))
    rows = sorted(session.execute(stmt).all(), key=lambda r: (-int(r[2] or 0), r[0]))
    return [{"type": key, "name_zh": names.get(key, (key, key))[0],
             "name_en": names.get(key, (key, key))[1], "activities": int(count),
             "co2e_saved_kg": kg(grams or 0), "points": int(points or 0),
             "participants": int(people)}
            for key, count, grams, points, people in rows]


# --- the report -------------------------------------------------------------------------

def campaign_report(session: Session, actor: User, campaign_id: int, registry: FactorRegistry,
                    now: datetime) -> dict:
    """Organizer (their organisation's campaign) or superadmin: the campaign's report."""
    campaign = writable_campaign(session, actor, campaign_id)
    checkins = _checkins(session, campaign.id)
    totals = campaign_totals(session, campaign)
    activity_points, activities = session.execute(
        select(func.coalesce(func.sum(Activity.points), 0), func.count(Activity.id))
        .where(*_accepted(campaign.id))).one()
    teams = _team_rows(session, campaign, checkins)
    status = status_of(campaign, now)
    return {
        "campaign": campaign_view(campaign, now), "status": status, "final": status == "past",
        "generated_at": now,
        "summary": {"co2e_saved_kg": kg(totals.co2e_saved_g),
                    "participants": totals.participants,
                    "headcount": headcount_of(session, campaign),
                    "participation_rate": totals.participation_rate,
                    "activities": int(activities), "checkins": len(checkins)},
        "points": {"activity_points": int(activity_points),
                   "checkin_points": sum(p for *_, p in checkins), "total": totals.points},
        "teams": teams,
        "behaviours": _behaviour_rows(session, campaign.id, registry),
        "top_teams": [t for t in teams if t["rank"] <= TOP_TEAMS and t["co2e_saved_kg"] > 0],
        "previous": _comparison(session, campaign, totals),
    }
