"""Tortoise configuration, migrations and the first super-admin."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate
from tortoise.migrations.recorder import MigrationRecorder

from core.config import Settings
from gatehouse.startup import DatabaseUnusableError

log = logging.getLogger("gatehouse.database")

MODEL_MODULES = ["models"]
MIGRATIONS_APP = "models"
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
            MIGRATIONS_APP: {
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


def known_migrations() -> list[str]:
    """This release's migrations, oldest first; the last is the schema version it needs."""
    package = importlib.import_module(MIGRATIONS_MODULE)
    names = (module.name for module in pkgutil.iter_modules(package.__path__))
    return sorted(name for name in names if name[:4].isdigit())


async def applied_migrations(database_url: str) -> list[str]:
    """The migrations recorded in the database; none where it has no migrations table."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        recorder = MigrationRecorder(get_connection("default"))
        applied = await recorder.applied_migrations()
    finally:
        await Tortoise.close_connections()
    return [key.name for key in applied if key.app_label == MIGRATIONS_APP]


def refuse_newer_schema(applied: list[str]) -> None:
    """An older release must not serve a schema it does not know: writes that miss the new
    columns fail one by one as INTERNAL. Stop the start instead, saying what to do."""
    known = known_migrations()
    unknown = sorted(set(applied) - set(known))
    if unknown:
        raise DatabaseUnusableError(
            f"the database's schema is at {unknown[-1]}, newer than this release knows"
            f" (up to {known[-1]}): upgrade Gatehouse or restore the backup taken before"
            " the upgrade"
        )


async def apply_migrations(database_url: str) -> None:
    ensure_sqlite_directory(database_url)
    refuse_newer_schema(await applied_migrations(database_url))

    def report(event: str, app_label: str, name: str) -> None:
        log.info("migration %s: %s.%s", event.replace("_", " "), app_label, name)

    try:
        await migrate(config=tortoise_config(database_url), progress=report)
    finally:
        await Tortoise.close_connections()
    log.info("database schema at %s", known_migrations()[-1])


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads TORTOISE_ORM; resolve it lazily so that importing
    # this module never reads the environment.
    if name == "TORTOISE_ORM":
        return tortoise_config(Settings.load().database_url)
    raise AttributeError(name)
