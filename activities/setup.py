"""Start-up work of the activities domain (factor file validation)."""

from __future__ import annotations

from flask import Flask


def init_activities(app: Flask) -> None:
    """Load and validate factors.json once at start-up; a bad file stops the app."""
