"""`flask leaderboards rebuild|reconcile`."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.clock import now_utc
from app.extensions import db
from app.redis_store import get_gateway
from leaderboards.sync import sync_boards

group = AppGroup("leaderboards", help="Redis 排行榜 (boards kept in Redis)")


def register_commands(app: Flask) -> None:
    app.cli.add_command(group)


def _run(force: bool) -> None:
    gateway = get_gateway(current_app)
    if gateway is None:
        raise click.ClickException("REDIS_URL is not set: boards are answered from the database")
    started = time.perf_counter()
    click.echo("rebuilding boards from the database" if force else "reconciling boards")
    report = sync_boards(gateway, db.session, now_utc(), force=force, echo=click.echo)
    click.echo(f"{report.boards} boards, {report.written} written, {report.removed} removed "
               f"in {time.perf_counter() - started:.2f} s")


@group.command("rebuild")
def rebuild() -> None:
    """Recompute every live board into temporary keys and swap them in atomically."""
    _run(force=True)


@group.command("reconcile")
def reconcile() -> None:
    """Repair only the boards that drifted from the database."""
    _run(force=False)
