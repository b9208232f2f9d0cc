"""Flask CLI: `flask create-superadmin`, `flask seed-demo`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth import set_password
from app.clock import now_utc
from app.demo import DEMO_PASSWORD, seed_identity
from app.extensions import db
from app.i18n import message_for
from app.models import User
from app.passwords import min_length_for, password_problem
from app.service import find_by_username


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_superadmin)
    app.cli.add_command(seed_demo)


@click.command("create-superadmin")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default="区域协调员")
@with_appcontext
def create_superadmin(username: str, password: str, display_name: str) -> None:
    """Create a regional coordinator (superadmin), or promote an existing user."""
    problem = password_problem(password, "superadmin", username)
    if problem is not None:
        params = {"min_length": min_length_for("superadmin")}
        raise click.BadParameter(f"{message_for(problem, params, 'zh')} "
                                 f"({message_for(problem, params, 'en')})", param_hint="--password")
    method = current_app.config["PASSWORD_HASH_METHOD"]
    user = find_by_username(db.session, username)
    if user is None:
        user = User(username=username, display_name=display_name, role="superadmin")
        db.session.add(user)
    user.role = "superadmin"
    db.session.flush()
    set_password(db.session, user, password, method, now_utc())
    db.session.commit()
    click.echo(f"superadmin {username} ready (id {user.id})")


@click.command("seed-demo")
def seed_demo() -> None:
    """Build the demo region (idempotent: a second run adds nothing)."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    accounts = seed_identity(db.session, method)
    if accounts is None:
        click.echo("演示数据已存在 (demo data already present): nothing added")
    else:
        for seeder in current_app.extensions.get("demo_seeders", []):
            seeder(db.session, click.echo)
        db.session.commit()
        click.echo("演示数据已创建 (demo data created)")
    _print_accounts()


def _print_accounts() -> None:
    users = db.session.scalars(
        select(User).where(User.password_hash.is_not(None)).order_by(User.id)).all()
    click.echo(f"演示账号 (demo accounts), password for all: {DEMO_PASSWORD}")
    for user in users:
        click.echo(f"  {user.username:<16} {user.role:<11} {user.display_name}")
