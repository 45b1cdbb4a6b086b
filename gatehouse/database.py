"""Tortoise configuration, migrations and the first super-admin."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

from core.config import Settings

log = logging.getLogger("gatehouse.database")

MODEL_MODULES = ["models"]
MIGRATIONS_MODULE = "models.migrations"
# WAL lets readers go on while one writer commits; NORMAL syncs at checkpoints rather than at
# every commit (a power cut can lose the last commits, never corrupt the file); the busy
# timeout makes another process's write wait instead of failing at once. A URL parameter
# (`sqlite://db.sqlite3?synchronous=FULL`) overrides each.
SQLITE_PRAGMAS = {"journal_mode": "WAL", "synchronous": "NORMAL", "busy_timeout": 5000}


def connection_config(database_url: str) -> str | dict[str, Any]:
    if not database_url.startswith("sqlite"):
        return database_url
    expanded: dict[str, Any] = expand_db_url(database_url)
    for pragma, value in SQLITE_PRAGMAS.items():
        expanded["credentials"].setdefault(pragma, value)
    return expanded


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def ensure_sqlite_directory(database_url: str) -> None:
    if database_url.startswith("sqlite://"):
        path = expand_db_url(database_url)["credentials"]["file_path"]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


async def apply_migrations(database_url: str) -> None:
    ensure_sqlite_directory(database_url)

    def report(event: str, app_label: str, name: str) -> None:
        log.info("migration %s: %s.%s", event.replace("_", " "), app_label, name)

    try:
        await migrate(config=tortoise_config(database_url), progress=report)
    finally:
        await Tortoise.close_connections()


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads TORTOISE_ORM; resolve it lazily so that importing
    # this module never reads the environment.
    if name == "TORTOISE_ORM":
        return tortoise_config(Settings.load().database_url)
    raise AttributeError(name)
