"""A campaign's progress, read from the activities that carry its id and its check-ins."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from app.figures import competition_ranks, kg, ratio, share
from app.models import Organisation, Team
from campaigns.models import Campaign, CampaignEvent, Checkin

UNASSIGNED = "未分组"  # the team name of people in no team


def headcount_of(session: Session, campaign: Campaign) -> int:
    """Declared headcount of the organisation, or of every organisation in the region."""
    where = (Organisation.id == campaign.org_id if campaign.org_id is not None
             else Organisation.region == campaign.region)
    return int(session.scalar(select(func.coalesce(func.sum(Organisation.headcount), 0))
                              .where(where)) or 0)


def _team_rows(session: Session, campaign_id: int) -> list[dict]:
    from activities.models import Activity

    stmt = (select(Activity.org_id, Activity.team_id, Team.name,
                   func.sum(Activity.co2e_saved_g), func.sum(Activity.points),
                   func.count(distinct(Activity.user_id)))
            .outerjoin(Team, Team.id == Activity.team_id)
            .where(Activity.campaign_id == campaign_id, Activity.status == "accepted")
            .group_by(Activity.org_id, Activity.team_id, Team.name))
    rows = sorted(session.execute(stmt).all(), key=lambda r: (-int(r[3] or 0), r[1] or 0))
    ranks = competition_ranks([int(grams or 0) for _, _, _, grams, _, _ in rows])
    return [{"rank": rank, "org_id": org_id, "team_id": team_id, "name": name or UNASSIGNED,
             "co2e_saved_kg": kg(grams or 0), "points": int(points or 0),
             "participants": int(people)}
            for rank, (org_id, team_id, name, grams, points, people) in zip(ranks, rows,
                                                                             strict=True)]


def _daily_rows(session: Session, campaign_id: int) -> list[dict]:
    from activities.models import Activity

    stmt = (select(Activity.local_date, func.sum(Activity.co2e_saved_g),
                   func.sum(Activity.points), func.count(distinct(Activity.user_id)))
            .where(Activity.campaign_id == campaign_id, Activity.status == "accepted")
            .group_by(Activity.local_date).order_by(Activity.local_date))
    return [{"date": day, "co2e_saved_kg": kg(grams or 0), "points": int(points or 0),
             "participants": int(people)} for day, grams, points, people in session.execute(stmt)]


def campaign_progress(session: Session, campaign: Campaign) -> dict:
    """Carbon saved, participants (logged or checked in), rates, teams and a daily series."""
    from activities.models import Activity

    in_campaign = (Activity.campaign_id == campaign.id, Activity.status == "accepted")
    grams, activity_points = session.execute(
        select(func.coalesce(func.sum(Activity.co2e_saved_g), 0),
               func.coalesce(func.sum(Activity.points), 0)).where(*in_campaign)).one()
    people = set(session.scalars(select(Activity.user_id).distinct().where(*in_campaign)))
    checkin_rows = session.execute(
        select(Checkin.user_id, Checkin.points).join(CampaignEvent,
                                                     CampaignEvent.id == Checkin.event_id)
        .where(CampaignEvent.campaign_id == campaign.id)).all()
    people.update(user_id for user_id, _ in checkin_rows)
    headcount = headcount_of(session, campaign)
    goal = campaign.goal_co2e_g
    return {"co2e_saved_kg": kg(grams), "participants": len(people), "headcount": headcount,
            "participation_rate": share(len(people), headcount) or Decimal(0),
            "goal_progress": ratio(int(grams), goal),
            "activity_points": int(activity_points),
            "checkin_points": sum(points for _, points in checkin_rows),
            "teams": _team_rows(session, campaign.id),
            "daily": _daily_rows(session, campaign.id)}
