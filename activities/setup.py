"""Start-up work of the activities domain (factor file validation)."""

from __future__ import annotations

from flask import Flask

from activities.factors import FactorFileError, default_factors_path, load_factor_registry
from app.config import ConfigError


def init_activities(app: Flask) -> None:
    """Load and validate factors.json once at start-up; a bad file stops the app.

    `FACTORS_PATH` overrides the path. The error names the file, the set and the bad key.
    """
    import activities.models  # noqa: F401 - registers the tables

    path = app.config.get("FACTORS_PATH") or default_factors_path()
    try:
        app.extensions["factor_registry"] = load_factor_registry(path)
    except FactorFileError as exc:
        raise ConfigError(f"invalid factor file (FACTORS_PATH={path}): {exc}") from exc
