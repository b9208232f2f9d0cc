"""Start-up of machine clients and the exchange: settings, tables, CLI."""

from __future__ import annotations

import os

from flask import Flask


def init_machines(app: Flask) -> None:
    import machines.models  # noqa: F401 - registers the tables
    from machines.cli import exchange_cli
    from machines.exchange import peers

    env = os.environ
    app.config.setdefault("API_KEY_REQUESTS_PER_MINUTE",
                          int(env.get("API_KEY_REQUESTS_PER_MINUTE", "120")))
    # Who signs: a short name of this deployment shown to partners.
    app.config.setdefault("EXCHANGE_ISSUER", env.get("EXCHANGE_ISSUER", "bth-low-carbon"))
    app.config.setdefault("EXCHANGE_SIGNING_KEY", env.get("EXCHANGE_SIGNING_KEY") or None)
    app.config.setdefault("EXCHANGE_PSEUDONYM_SECRET",
                          env.get("EXCHANGE_PSEUDONYM_SECRET") or None)
    app.cli.add_command(exchange_cli)
    app.extensions["energy_region_peers"] = peers
