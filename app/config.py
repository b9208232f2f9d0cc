"""Configuration read from the environment (API.md "Running it")."""

from __future__ import annotations

import os
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service."""


def normalise_database_url(url: str) -> str:
    """Let a plain `postgresql://` URL use the project's own driver (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _int_env(environ: dict[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number of seconds, got {raw!r}") from exc


def load_config(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if environ is None else environ)
    app_env = env.get("APP_ENV", "production")
    default_db = "sqlite:///" + str(Path(instance_path) / "lowcarbon.db")
    secret = env.get("SECRET_KEY")
    if not secret:
        if app_env not in ("development", "testing"):
            raise ConfigError(
                "SECRET_KEY is required outside development (set APP_ENV=development)")
        secret = "development-only-secret-key-change-me"
    # Previous signing keys stay valid for verification while tokens signed with them expire.
    previous_keys = [k for k in env.get("PREVIOUS_SECRET_KEYS", "").split(",") if k]
    return {
        "APP_ENV": app_env,
        "SECRET_KEY": secret,
        "PREVIOUS_SECRET_KEYS": previous_keys,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL") or default_db),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "REDIS_PREFIX": env.get("REDIS_PREFIX", "lc:"),
        "WECHAT_APPID": env.get("WECHAT_APPID", ""),
        "WECHAT_SECRET": env.get("WECHAT_SECRET", ""),
        "WECHAT_API_BASE": env.get("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/"),
        "WECHAT_TIMEOUT_SECONDS": float(env.get("WECHAT_TIMEOUT_SECONDS", "3")),
        "ACCESS_TOKEN_TTL": _int_env(env, "ACCESS_TOKEN_TTL", 900),
        "REFRESH_TOKEN_TTL": _int_env(env, "REFRESH_TOKEN_TTL", 30 * 24 * 3600),
        # Start the clock at another instant (ISO 8601 with offset): demos, drills, tests.
        "CLOCK_START": env.get("CLOCK_START") or None,
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", "scrypt"),
        "FACTORS_PATH": env.get("FACTORS_PATH") or None,
        # Background board reconcile period per process; 0 turns it off.
        "LEADERBOARD_RECONCILE_SECONDS": float(env.get("LEADERBOARD_RECONCILE_SECONDS", "15")),
        # How often each process tries the points expiry job's lease (0: never), and how
        # long a taken lease holds the job (one run per period across all processes).
        "POINTS_EXPIRY_CHECK_SECONDS": float(env.get("POINTS_EXPIRY_CHECK_SECONDS", "300")),
        "POINTS_EXPIRY_INTERVAL_SECONDS": float(env.get("POINTS_EXPIRY_INTERVAL_SECONDS",
                                                        "3600")),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # flask-smorest / OpenAPI
        "API_TITLE": "低碳行为积分 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(
            normalise_database_url(env.get("DATABASE_URL") or default_db)
        ),
    }


def engine_options(url: str) -> dict:
    """Pool settings: fail fast when PostgreSQL is away, recover by itself when it returns."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 20,
        "pool_timeout": 5,
        "connect_args": {"connect_timeout": 3},
    }
