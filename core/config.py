"""Settings, read once from the environment (and an optional `.env` file) at start-up."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from starlette.config import Config
from starlette.datastructures import Secret
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import ConfigurationError as TortoiseConfigurationError

T = TypeVar("T")
ENVIRONMENTS = ("development", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# Always allowed in a CORS preflight: the credentials, the body, request correlation and
# the client name and version Apollo Client sends. CORS_ALLOW_HEADERS adds to these.
DEFAULT_CORS_ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-API-Key",
    "X-Request-ID",
    "apollographql-client-name",
    "apollographql-client-version",
)


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://data/gatehouse.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    environment: str = "development"
    admin_email: str | None = None
    admin_password: Secret | None = None
    session_ttl_hours: float = 12.0
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 4
    log_level: str = "INFO"
    cors_origins: tuple[str, ...] = ()
    cors_allow_headers: tuple[str, ...] = DEFAULT_CORS_ALLOW_HEADERS

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        env_file = env_file if env_file is not None and Path(env_file).is_file() else None
        config = Config(env_file=env_file, environ=os.environ if environ is None else environ)

        def read(name: str, cast: Callable[[str], T], default: T) -> T:
            raw = config(name, default=None)
            if raw is None or raw == "":
                return default
            try:
                return cast(raw)
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from None

        admin_password = config("ADMIN_PASSWORD", cast=Secret, default=None)
        settings = cls(
            database_url=read("DATABASE_URL", _database_url, cls.database_url),
            host=read("HOST", str, cls.host),
            port=read("PORT", _bounded_int(1, 65535), cls.port),
            workers=read("WORKERS", _bounded_int(1, 64), cls.workers),
            environment=read("GATEHOUSE_ENV", _one_of(ENVIRONMENTS), cls.environment),
            admin_email=read("ADMIN_EMAIL", _email, None),
            admin_password=admin_password if admin_password and str(admin_password) else None,
            session_ttl_hours=read("SESSION_TTL_HOURS", _positive_float, cls.session_ttl_hours),
            argon2_time_cost=read("ARGON2_TIME_COST", _bounded_int(1, 100), cls.argon2_time_cost),
            argon2_memory_cost_kib=read(
                "ARGON2_MEMORY_COST_KIB", _bounded_int(8, 4_194_304), cls.argon2_memory_cost_kib
            ),
            argon2_parallelism=read(
                "ARGON2_PARALLELISM", _bounded_int(1, 64), cls.argon2_parallelism
            ),
            log_level=read("LOG_LEVEL", _one_of(LOG_LEVELS, str.upper), cls.log_level),
            cors_origins=read("CORS_ORIGINS", _origins, cls.cors_origins),
            cors_allow_headers=read("CORS_ALLOW_HEADERS", _extra_headers, cls.cors_allow_headers),
        )
        if (settings.admin_email is None) != (settings.admin_password is None):
            raise ConfigError("ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither")
        if settings.admin_password is not None and not (
            MIN_PASSWORD_LENGTH <= len(str(settings.admin_password)) <= MAX_PASSWORD_LENGTH
        ):
            raise ConfigError(
                f"ADMIN_PASSWORD: must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} "
                "characters long"
            )
        if settings.workers > 1 and settings.database_url.startswith("sqlite"):
            raise ConfigError("WORKERS: SQLite serves one process; use PostgreSQL to run more")
        return settings


def _database_url(value: str) -> str:
    try:
        engine = expand_db_url(value)["engine"]
    except (TortoiseConfigurationError, ValueError, KeyError) as exc:
        raise ValueError(
            f"not a database URL ({exc}); expected e.g. sqlite://data/db.sqlite3 "
            "or postgres://user@host:5432/name"
        ) from None
    # Tortoise knows more schemes than this install has drivers for (mysql://, mssql://);
    # say so now rather than with an ImportError traceback at the first connection.
    try:
        importlib.import_module(engine)
    except ImportError as exc:
        raise ValueError(f"no driver installed for this database ({exc.name})") from None
    return value


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def cast(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"{number} is outside {low}..{high}")
        return number

    return cast


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not number > 0:
        raise ValueError(f"{value!r} must be greater than 0")
    return number


def _one_of(
    choices: tuple[str, ...], normalise: Callable[[str], str] = str.lower
) -> Callable[[str], str]:
    def cast(value: str) -> str:
        if normalise(value) not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        return normalise(value)

    return cast


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin such as https://portal.example.com")
    return origins


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _extra_headers(value: str) -> tuple[str, ...]:
    extra = [name.strip() for name in value.split(",") if name.strip()]
    for name in extra:
        if not _HEADER_NAME.match(name):
            raise ValueError(f"{name!r} is not an HTTP header name")
    known = {name.lower() for name in DEFAULT_CORS_ALLOW_HEADERS}
    added = [name for name in dict.fromkeys(extra) if name.lower() not in known]
    return DEFAULT_CORS_ALLOW_HEADERS + tuple(added)


def _email(value: str) -> str:
    if "@" not in value.strip():
        raise ValueError(f"{value!r} is not an email address")
    return value.strip().lower()
