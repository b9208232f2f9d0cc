"""Flask CLI commands and demo data of the activities domain."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Add this domain's commands and its demo seeder (run by `flask seed-demo`)."""
