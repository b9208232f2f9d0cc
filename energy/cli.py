"""`flask energy rebuild-totals`: the region report's year totals from the readings."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from energy.rollup import rebuild_year_totals

energy_cli = AppGroup("energy", help="能源台账 (institution energy ledger)")


@energy_cli.command("rebuild-totals")
def rebuild_totals() -> None:
    """Recompute every organisation's year totals from its readings (after a bulk load)."""
    rows = rebuild_year_totals(db.session)
    db.session.commit()
    click.echo(f"energy year totals rebuilt: {rows} rows")
