"""`flask rollups rebuild [--org ID]`: recompute the report rollups from the raw rows.

One organisation at a time, each in its own transaction: its activity rollups and
monthly participants from its accepted activities, its points per day from its ledger.
Logging can go on meanwhile; an organisation's figures are replaced in one commit.
"""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from activities.rollups import rebuild_activity_rollups
from app.extensions import db
from app.models import Organisation
from points.org_points import rebuild_org_points

rollups_cli = AppGroup("rollups", help="报表汇总 (report rollups)")


@rollups_cli.command("rebuild")
@click.option("--org", "org_id", type=int, help="Only this organisation (id).")
def rebuild(org_id: int | None) -> None:
    """Recompute activity rollups, monthly participants and daily points from the raw rows."""
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
            counts = (*rebuild_activity_rollups(db.session, org.id),
                      rebuild_org_points(db.session, org.id, org.timezone))
            db.session.commit()
            totals = [total + count for total, count in zip(totals, counts, strict=True)]
    click.echo(f"rollups rebuilt: {len(orgs)} organisations, {totals[0]} activities -> "
               f"{totals[1]} day rows, {totals[2]} monthly participants, {totals[3]} days of "
               f"points, in {time.perf_counter() - started:.1f} s")
