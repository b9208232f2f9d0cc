"""`flask rollups rebuild [--org ID]`: recompute the report rollups from the raw rows.

One organisation at a time, each in its own transaction: its points per day from its
ledger, its activity rollups (per day and per month), monthly participants and active
people per month and year from its accepted activities.
Logging can go on meanwhile (on PostgreSQL it waits while an organisation is
recomputed); an organisation's figures are replaced in one commit.
"""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from activities.rollups import rebuild_activity_rollups
from app.extensions import db
from app.models import Organisation
from points.org_points import rebuild_org_points

rollups_cli = AppGroup("rollups", help="报表汇总 (report rollups)")


@rollups_cli.command("rebuild")
@click.option("--org", "org_id", type=int, help="Only this organisation (id).")
def rebuild(org_id: int | None) -> None:
    """Recompute activity rollups (daily, monthly), monthly participants, active people
    and daily points from the raw rows."""
    query = select(Organisation.id, Organisation.name, Organisation.timezone).order_by(
        Organisation.id)
    if org_id is not None:
        query = query.where(Organisation.id == org_id)
    orgs = db.session.execute(query).all()
    if org_id is not None and not orgs:
        raise click.BadParameter(f"no organisation {org_id}", param_hint="--org")
    started = time.perf_counter()
    totals = [0, 0, 0, 0]
    with click.progressbar(orgs, label="重建报表汇总 (rebuilding rollups)",
                           item_show_func=lambda org: org.name if org else None) as bar:
        for org in bar:
            pause_rollup_writers(db.session)
            counts = (rebuild_org_points(db.session, org.id, org.timezone),
                      *rebuild_activity_rollups(db.session, org.id))
            db.session.commit()
            totals = [total + count for total, count in zip(totals, counts, strict=True)]
    points_days, read, day_rows, participants = totals
    click.echo(f"rollups rebuilt: {len(orgs)} organisations, {read} activities -> "
               f"{day_rows} day rows, {participants} monthly participants, {points_days} days "
               f"of points, in {time.perf_counter() - started:.1f} s")


def pause_rollup_writers(session: Session) -> None:
    """PostgreSQL: hold off writers of the rollup tables until this organisation commits.

    SHARE ROW EXCLUSIVE lets reports read on but queues every upsert, so no activity or
    ledger entry is counted twice or missed while its organisation is recomputed. The
    tables are taken in the writers' own order (a person's month row, then the shared rows
    at the end of the request in key order: monthly, then daily activity rollups, then
    points of the day, then active people), so nobody deadlocks. A large organisation
    pauses logging for about a second.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE monthly_participants, activity_monthly_rollups, "
                             "activity_rollups, org_daily_points, org_active_people "
                             "IN SHARE ROW EXCLUSIVE MODE"))
