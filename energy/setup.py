"""Start-up work of the energy domain: the energy method from factors.json, the demo seeder."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.config import ConfigError
from energy.factors import EnergyFactorError, load_energy_methods

FACTORS_FILE = Path(__file__).resolve().parent.parent / "factors.json"


def init_energy(app: Flask) -> None:
    """Load and validate the energy section of factors.json once; a bad file stops the app."""
    import energy.models  # noqa: F401 - registers the tables
    from energy.demo import seed_demo_energy

    path = app.config.get("FACTORS_PATH") or FACTORS_FILE
    try:
        app.extensions["energy_methods"] = load_energy_methods(path)
    except EnergyFactorError as exc:
        raise ConfigError(f"invalid factor file (FACTORS_PATH={path}): {exc}") from exc
    from energy.cli import energy_cli

    if "energy" not in app.cli.commands:
        app.cli.add_command(energy_cli)
    seeders = app.extensions.setdefault("demo_seeders", [])
    if seed_demo_energy not in seeders:
        seeders.append(seed_demo_energy)
