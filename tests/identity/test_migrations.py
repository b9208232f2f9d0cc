"""Migrations build the schema the models describe; nothing creates tables at start-up."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect


def schema_differences(engine, metadata) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def scratch_app(make_app, tmp_path):
    """An app on an empty SQLite file, whatever engine the suite runs on."""
    from app.config import engine_options

    url = "sqlite:///" + str(tmp_path / "scratch.db")
    return make_app({"SQLALCHEMY_DATABASE_URI": url,
                     "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)})


def test_migrated_schema_matches_the_models(app, engine):
    """The test database was built by `flask db upgrade` (conftest): no drift from the models."""
    from app.extensions import db

    assert schema_differences(engine, db.metadata) == []


def test_every_model_table_is_created_by_the_migrations(app, engine):
    from app.extensions import db

    assert set(db.metadata.tables) <= set(inspect(engine).get_table_names())


def test_flask_db_upgrade_builds_an_empty_sqlite_database(make_app, tmp_path):
    from app.extensions import db

    scratch = scratch_app(make_app, tmp_path)
    result = scratch.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with scratch.app_context():
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        assert schema_differences(db.engine, db.metadata) == []


def test_downgrade_to_base_then_upgrade_rebuilds_the_schema(make_app, tmp_path):
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    scratch = scratch_app(make_app, tmp_path)
    with scratch.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert schema_differences(db.engine, db.metadata) == []


def test_starting_the_app_creates_no_tables(make_app, tmp_path):
    from app.extensions import db

    scratch = scratch_app(make_app, tmp_path)
    assert scratch.test_client().get("/readyz").status_code == 200
    with scratch.app_context():
        assert inspect(db.engine).get_table_names() == []
