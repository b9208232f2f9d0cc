"""Flask CLI commands and demo data of the activities domain.

`flask factors check [--region R]`: validate the factor file and print the catalogue
with per-unit grams for each region. `flask factors restate --version V --year Y`:
a year's carbon under another factor set, side by side per organisation (read-only).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from activities.carbon import per_unit
from activities.demo import seed_activities
from activities.demo_history import seed_history
from activities.factors import (
    FactorFileError,
    FactorSet,
    FactorSetNotFoundError,
    default_factors_path,
    load_factor_registry,
)
from activities.restate import restate_year
from activities.review_demo import seed_demo_reviews
from activities.rollups_cli import rollups_cli
from app.clock import now_utc
from app.extensions import db
from app.figures import kg, percent_change
from points.demo import seed_demo_redemptions

factors_cli = AppGroup("factors", help="排放因子 (emission factor sets)")
CHECK_REGIONS = ("beijing", "tianjin", "hebei", "other")


def register_commands(app: Flask) -> None:
    """Add this domain's commands and its demo seeder (run by `flask seed-demo`)."""
    if "factors" not in app.cli.commands:
        app.cli.add_command(factors_cli)
    if "rollups" not in app.cli.commands:
        app.cli.add_command(rollups_cli)
    seeders = app.extensions.setdefault("demo_seeders", [])
    if seed_demo_history not in seeders:
        # First of all: the oldest ledger entries get the lowest ids, before any check-in,
        # redemption or logged activity of the other seeders.
        seeders.insert(0, seed_demo_history)
    if seed_demo_activities not in seeders:
        seeders.append(seed_demo_activities)
    if seed_demo_redemptions not in seeders:
        # After the logged days: a redemption follows the points that paid for it.
        seeders.append(seed_demo_redemptions)
    if seed_flags_and_expiry not in seeders:
        seeders.append(seed_flags_and_expiry)


def seed_flags_and_expiry(session: Session, echo: Callable[[str], None]) -> None:
    """A few entries waiting for review, then expiry as the daily job would run it."""
    seed_demo_reviews(session, echo, current_app.extensions["factor_registry"], now_utc())


def seed_demo_history(session: Session, echo: Callable[[str], None]) -> None:
    """Demo history from 1 January of last year, written in bulk (before everything else)."""
    seed_history(session, echo, current_app.extensions["factor_registry"], now_utc())


def seed_demo_activities(session: Session, echo: Callable[[str], None]) -> None:
    """About 60 days of demo activity, logged through the service (after the rewards)."""
    seed_activities(session, echo, current_app.extensions["factor_registry"], now_utc())


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def _row(cells: list[tuple[str, int, bool]]) -> str:
    return "  ".join(_pad(text, width, right) for text, width, right in cells).rstrip()


def _grams(value) -> str:
    return f"{value:.3f}"


def _catalogue_lines(factor_set: FactorSet, region: str) -> list[str]:
    grid = factor_set.grid_factor(region)
    lines = [f"地区 region: {region}  电网因子 grid: {grid.key} = {grid.value} {grid.unit}",
             _row([("key", 16, False), ("名称 name", 24, False), ("unit", 10, False),
                   ("g/unit", 9, True), ("-g/entry", 8, True), ("pts/unit", 8, True),
                   ("max/entry", 9, True), ("daily cap", 9, True), ("factors", 0, False)])]
    for behaviour in factor_set.behaviours:
        unit = per_unit(behaviour, region, factor_set)
        deduction = _grams(unit.per_entry_deduction_g) if unit.per_entry_deduction_g else ""
        factors = ", ".join(f"{f.key}={f.value}" for f in unit.factors) or "无来源 no source"
        points = unit.saved_g / factor_set.points.grams_per_point
        lines.append(_row([
            (behaviour.key, 16, False), (behaviour.name_zh, 24, False), (behaviour.unit, 10, False),
            (_grams(unit.saved_g), 9, True), (deduction, 8, True), (f"{points:.2f}", 8, True),
            (str(behaviour.max_per_entry), 9, True), (str(behaviour.daily_cap), 9, True),
            (factors, 0, False)]))
    return lines


@factors_cli.command("check")
@click.option("--region", type=click.Choice(CHECK_REGIONS), default=None,
              help="one region (default: all, 'other' = national grid)")
def check_factors(region: str | None) -> None:
    """Validate the factor file and print the catalogue with per-unit grams per region."""
    path = current_app.config.get("FACTORS_PATH") or default_factors_path()
    try:
        registry = load_factor_registry(path)
    except FactorFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{path}: OK, {len(registry.sets)} 个因子集 (factor sets)")
    for factor_set in registry.sets:
        click.echo("")
        click.echo(f"因子集 factor set {factor_set.version}, 生效 effective "
                   f"{factor_set.effective_from.isoformat()}: {len(factor_set.behaviours)} "
                   f"behaviours, {len(factor_set.factors)} factors; 1 point per "
                   f"{factor_set.points.grams_per_point} g, at least "
                   f"{factor_set.points.min_points_per_entry} for the first entry of a "
                   "behaviour in a day")
        for name in (region,) if region else CHECK_REGIONS:
            click.echo("")
            for line in _catalogue_lines(factor_set, name):
                click.echo(line)


@factors_cli.command("restate")
@click.option("--version", "version", required=True, help="factor set version to restate under")
@click.option("--year", type=click.IntRange(2000, 2100), required=True,
              help="calendar year (organisation-local days)")
def restate(version: str, year: int) -> None:
    """A year's carbon under another factor set, side by side per organisation; read-only."""
    try:
        factor_set = current_app.extensions["factor_registry"].get(version)
    except FactorSetNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = restate_year(db.session, factor_set, year)
    db.session.rollback()  # nothing to keep: a restatement never changes stored numbers
    click.echo(f"{year} 年按因子集 {version} 重述 (restated under {version}); "
               f"stored grams and points unchanged")
    click.echo(_row([("org", 6, True), ("单位 name", 30, False), ("region", 8, False),
                     ("entries", 8, True), ("stored kg", 12, True), ("restated kg", 12, True),
                     ("change %", 9, True)]))
    stored_total = restated_total = 0
    for row in rows:
        stored_total += row.stored_g
        restated_total += row.restated_g
        change = "-" if row.change_pct is None else f"{row.change_pct:+}"
        click.echo(_row([(str(row.org_id), 6, True), (row.name[:15], 30, False),
                         (row.region, 8, False), (str(row.activities), 8, True),
                         (str(kg(row.stored_g)), 12, True),
                         (str(kg(row.restated_g)), 12, True), (change, 9, True)]))
        if row.carried_over:
            click.echo(f"       {version} 无此行为，沿用原值 (kept as stored): "
                       f"{', '.join(row.carried_over)}")
    total_change = percent_change(restated_total, stored_total)
    click.echo(_row([("", 6, True), ("合计 total", 30, False), ("", 8, False),
                     (str(sum(r.activities for r in rows)), 8, True),
                     (str(kg(stored_total)), 12, True), (str(kg(restated_total)), 12, True),
                     ("-" if total_change is None else f"{total_change:+}", 9, True)]))
