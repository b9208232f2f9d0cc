"""Configuration read from the environment (API.md "Running it")."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# HS256 keys shorter than this can be brute-forced offline from one token.
MIN_SECRET_KEY_LENGTH = 32
DEV_ENVIRONMENTS = ("development", "testing")
DEFAULT_METRICS_ALLOW = "127.0.0.1/32,::1/128"

class ConfigError(RuntimeError):
    """The environment does not describe a runnable service (one line per bad setting)."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("配置有误 / invalid configuration:\n"
                         + "\n".join(f"  - {p}" for p in self.problems))


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


def _flag(environ: dict[str, str], name: str) -> bool:
    return environ.get(name, "").lower() in ("1", "true", "yes")


def _database_url_problem(name: str, url: str, drivers: tuple[str, ...]) -> str | None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"{name} is not a database URL (expected e.g. postgresql://user@host:5432/db)"
    if parsed.get_backend_name() not in drivers:
        return f"{name} must be a {' or '.join(drivers)} URL, got {parsed.get_backend_name()!r}"
    if parsed.get_backend_name() == "postgresql" and not parsed.database:
        return f"{name} names no database (postgresql://user@host:5432/<database>)"
    return None


def _secret_problem(app_env: str, secret: str | None) -> str | None:
    if app_env in DEV_ENVIRONMENTS:
        return None
    if not secret:
        return "SECRET_KEY is required outside development (set APP_ENV=development)"
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        return (f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters outside "
                f"development, got {len(secret)}")
    return None


def parse_networks(raw: str) -> list:
    """METRICS_ALLOW: comma-separated CIDRs (ValueError names the bad one)."""
    return [ipaddress.ip_network(part.strip(), strict=False)
            for part in raw.split(",") if part.strip()]


def _metrics_networks(raw: str, problems: list[str]) -> list:
    try:
        return parse_networks(raw)
    except ValueError as exc:
        problems.append(f"METRICS_ALLOW must be comma-separated networks (CIDR): {exc}")
        return []


def _problems(env: dict[str, str], app_env: str, database_url: str) -> list[str]:
    """Every bad setting at once, so an operator fixes them in one go."""
    problems = [p for p in (
        _secret_problem(app_env, env.get("SECRET_KEY")),
        _database_url_problem("DATABASE_URL", database_url, ("postgresql", "sqlite")),
        env.get("DATABASE_REPLICA_URL") and _database_url_problem(
            "DATABASE_REPLICA_URL", env["DATABASE_REPLICA_URL"], ("postgresql",)),
    ) if p]
    redis_url = env.get("REDIS_URL") or ""
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        problems.append("REDIS_URL must start with redis://, rediss:// or unix://")
    if _flag(env, "REDIS_REQUIRED") and not redis_url:
        problems.append("REDIS_REQUIRED=true but REDIS_URL is not set")
    for name in ("ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL", "REPLICA_MAX_LAG_SECONDS",
                 "FORWARDED_FOR_HOPS"):
        try:
            _int_env(env, name, 0)
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


def load_config(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if environ is None else environ)
    app_env = env.get("APP_ENV", "production")
    default_db = "sqlite:///" + str(Path(instance_path) / "lowcarbon.db")
    database_url = normalise_database_url(env.get("DATABASE_URL") or default_db)
    problems = _problems(env, app_env, database_url)
    metrics_allow = _metrics_networks(env.get("METRICS_ALLOW", DEFAULT_METRICS_ALLOW), problems)
    if problems:
        raise ConfigError(problems)
    secret = env.get("SECRET_KEY") or "development-only-secret-key-change-me"
    replica_url = env.get("DATABASE_REPLICA_URL") or None
    # Previous signing keys stay valid for verification while tokens signed with them expire.
    previous_keys = [k for k in env.get("PREVIOUS_SECRET_KEYS", "").split(",") if k]
    return {
        "APP_ENV": app_env,
        "SECRET_KEY": secret,
        "PREVIOUS_SECRET_KEYS": previous_keys,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Reports and the region comparison read here when set (app/replica.py), as long as
        # it is at most REPLICA_MAX_LAG_SECONDS behind the primary; else from the primary.
        "DATABASE_REPLICA_URL": normalise_database_url(replica_url) if replica_url else None,
        "REPLICA_MAX_LAG_SECONDS": _int_env(env, "REPLICA_MAX_LAG_SECONDS", 30),
        "REDIS_URL": env.get("REDIS_URL") or None,
        # true: refuse to start when Redis does not answer (else Redis is optional).
        "REDIS_REQUIRED": _flag(env, "REDIS_REQUIRED"),
        # Who may read GET /metrics (comma-separated CIDRs of the operator's network).
        "METRICS_ALLOW": metrics_allow,
        # Proxies in front that append X-Forwarded-For (1 behind HAProxy): the client's
        # address, for per-address rate limits, is then taken from that header.
        "FORWARDED_FOR_HOPS": _int_env(env, "FORWARDED_FOR_HOPS", 0),
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
        # Boards rebuilt on demand (Redis lost them, or answers again after an outage); a
        # pass that wrote anything is checked again this many seconds later. 0: only by hand.
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
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
    }


def engine_options(url: str) -> dict:
    """Pool settings: fail fast when PostgreSQL is away, recover by itself when it returns."""
    # hide_parameters: an error's text (and so a logged stack) never shows the values bound
    # to a statement: password hashes, pickup codes, names.
    if url.startswith("sqlite"):
        return {"hide_parameters": True,
                "connect_args": {"timeout": 30, "check_same_thread": False}}
    return {
        "hide_parameters": True,
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 20,
        "pool_timeout": 5,
        "connect_args": {"connect_timeout": 3},
    }
