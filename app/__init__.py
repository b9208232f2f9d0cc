"""The application factory: `gunicorn "app:create_app()"`, `flask --app app ...`."""

from __future__ import annotations

import os

from flask import Flask

from app.clock import clock_from_config
from app.config import load_config
from app.db import IdConverter


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(load_config(app.instance_path))
    if overrides:
        app.config.update(overrides)
    app.extensions["clock"] = clock_from_config(app.config)
    app.json.ensure_ascii = False  # Chinese as UTF-8 text, not \u escapes
    app.url_map.converters["int"] = IdConverter  # before any route is registered
    if app.config["FORWARDED_FOR_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["FORWARDED_FOR_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    os.makedirs(app.instance_path, exist_ok=True)
    register_observability(app)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    register_domains(app)
    return app


def register_observability(app: Flask) -> None:
    """Request ids and JSON logs first (their timer and id serve the metrics too)."""
    from app.metrics import init_metrics
    from app.request_log import init_request_log

    init_request_log(app)
    init_metrics(app)


def register_extensions(app: Flask) -> None:
    from app import after_commit
    from app.db import configure_sqlite
    from app.directory import init_directory
    from app.extensions import db, migrate
    from app.redis_store import init_redis
    from app.replica import init_replica

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..",
                                                     "migrations"))
    init_redis(app)
    init_replica(app)
    after_commit.install()
    init_directory(app)


def register_blueprints(app: Flask) -> None:
    from activities import routes as activities_routes
    from app import ops, routes
    from app.openapi import Api, document_error_responses, document_optional_bodies
    from campaigns import routes as campaign_routes
    from energy import routes as energy_routes
    from leaderboards import routes as leaderboard_routes
    from machines import routes as machine_routes
    from points import routes as points_routes
    from reports import routes as report_routes

    app.config.setdefault("API_SPEC_OPTIONS", {
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "Authorization",
                           "description": "`ApiKey <key>`"}}},
        "info": {"description": "低碳行为积分 backend. Errors: "
                                "{error: {code, message, details}}; zh by default, "
                                "Accept-Language: en for English."},
    })
    api = Api(app)
    api.register_blueprint(routes.blp)
    api.register_blueprint(points_routes.blp)
    api.register_blueprint(activities_routes.blp)
    api.register_blueprint(leaderboard_routes.blp)
    api.register_blueprint(campaign_routes.blp)
    api.register_blueprint(report_routes.blp)
    api.register_blueprint(energy_routes.blp)
    api.register_blueprint(machine_routes.blp)
    document_error_responses(api)
    document_optional_bodies(api)
    app.extensions["smorest_api"] = api  # /docs renders its spec
    app.register_blueprint(ops.bp)


def register_errors(app: Flask) -> None:
    from app.errors import register_error_handlers
    from app.security_headers import init_security_headers

    register_error_handlers(app)
    init_security_headers(app)


def register_cli(app: Flask) -> None:
    from app.cli import register_commands
    from app.partitioning import register_commands as register_partitioning_commands

    register_commands(app)
    register_partitioning_commands(app)


def register_domains(app: Flask) -> None:
    from activities.cli import register_commands as register_activity_commands
    from activities.setup import init_activities
    from campaigns.setup import init_campaigns
    from console.setup import init_console
    from energy.setup import init_energy
    from leaderboards.cli import register_commands as register_board_commands
    from leaderboards.hooks import init_leaderboards
    from machines.setup import init_machines
    from points.cli import register_commands as register_points_commands
    from points.expiry_job import init_expiry_job

    init_activities(app)
    init_expiry_job(app)
    init_leaderboards(app)
    init_campaigns(app)
    init_console(app)
    init_machines(app)
    register_board_commands(app)
    # Order matters for `flask seed-demo`: rewards first, then activities earning points.
    register_points_commands(app)
    register_activity_commands(app)
    init_energy(app)  # after the others: its demo seeder runs last, on the demo organisations
