"""Configuration validated at start: one clear line per bad setting."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_config
from tests.ops.conftest import free_port

GOOD_KEY = "k" * 32


def problems(env: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config("/tmp", env)
    return caught.value.problems


def test_every_bad_setting_is_named_once_in_one_error():
    found = problems({"APP_ENV": "production", "SECRET_KEY": "short",
                      "DATABASE_URL": "mysql://db/x", "REDIS_URL": "http://cache",
                      "METRICS_ALLOW": "10.0.0.0/8,not-a-network",
                      "ACCESS_TOKEN_TTL": "ten"})
    assert len(found) == 5
    text = "\n".join(found)
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "METRICS_ALLOW", "ACCESS_TOKEN_TTL"):
        assert sum(line.startswith(name) for line in found) == 1, text


@pytest.mark.parametrize("url", ["not a url at all", "postgresql://host:5432/", "oracle://x/y"])
def test_a_bad_database_url_is_refused(url):
    (problem,) = problems({"APP_ENV": "production", "SECRET_KEY": GOOD_KEY,
                           "DATABASE_URL": url})
    assert problem.startswith("DATABASE_URL")


def test_a_short_secret_key_is_refused_outside_development():
    (problem,) = problems({"APP_ENV": "production", "SECRET_KEY": "k" * 31})
    assert "at least 32" in problem
    assert load_config("/tmp", {"APP_ENV": "production", "SECRET_KEY": GOOD_KEY})
    assert load_config("/tmp", {"APP_ENV": "development", "SECRET_KEY": "dev"})


def test_a_missing_secret_key_is_refused_in_production():
    (problem,) = problems({"APP_ENV": "production"})
    assert problem.startswith("SECRET_KEY is required")


def test_the_replica_url_must_be_postgresql():
    (problem,) = problems({"APP_ENV": "development", "DATABASE_REPLICA_URL": "sqlite:///x.db"})
    assert problem.startswith("DATABASE_REPLICA_URL")


def test_redis_required_without_url_is_refused():
    (problem,) = problems({"APP_ENV": "development", "REDIS_REQUIRED": "true"})
    assert "REDIS_REQUIRED" in problem


def test_error_message_lists_each_problem_on_its_own_line():
    with pytest.raises(ConfigError) as caught:
        load_config("/tmp", {"APP_ENV": "production", "SECRET_KEY": "x",
                             "DATABASE_URL": "nope"})
    lines = str(caught.value).splitlines()
    assert lines[0] == "配置有误 / invalid configuration:"
    assert [line[:14] for line in lines[1:]] == ["  - SECRET_KEY", "  - DATABASE_U"]


def test_an_unreachable_redis_stops_the_start_when_required(app, monkeypatch):
    from app import create_app

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("REDIS_REQUIRED", "true")
    with pytest.raises(ConfigError, match="REDIS_URL does not answer"):
        create_app()


def test_an_unreachable_redis_is_fine_when_not_required(app, monkeypatch):
    from app import create_app
    from app.extensions import db

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.delenv("REDIS_REQUIRED", raising=False)
    other = create_app()
    with other.app_context():
        db.engine.dispose()
