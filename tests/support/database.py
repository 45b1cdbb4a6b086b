"""The settings every in-process app of the suite runs with, and its database: a SQLite
file, as the app runs on it (reads on the event loop, `models.reads`, need one), or
PostgreSQL where TEST_DATABASE_URL points."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from tortoise.contrib.test import tortoise_test_context
from tortoise.queryset import ValuesListQuery

from core.clock import utcnow
from core.config import Settings
from models.key_tallies import install_key_tallies

# Real Argon2id, with cost parameters cheap enough for a suite that hashes hundreds of times.
SETTINGS = Settings(argon2_time_cost=1, argon2_memory_cost_kib=64, argon2_parallelism=1)


def _test_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        folder = tempfile.mkdtemp(prefix="gatehouse-tests-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        return f"sqlite://{folder}/test-{{}}.sqlite3"
    parts = urlsplit(url)
    # `{}` is filled by Tortoise with a random suffix: each test gets a database of its own.
    return urlunsplit(parts._replace(path=(parts.path.rstrip("/") or "/gatehouse") + "_{}"))


DATABASE_URL = _test_database_url()


@asynccontextmanager
async def fresh_database() -> AsyncIterator[None]:
    """A new database with every table, dropped afterwards. Made from the models, so what
    the migrations add beyond tables (the key tallies' triggers) is added here the same way."""
    async with tortoise_test_context(["models"], db_url=DATABASE_URL) as context:
        connection = context.connections.get("default")
        await install_key_tallies(connection, utcnow())
        yield
        await connection.close()
        await connection.db_delete()


async def column(query: ValuesListQuery[Literal[False]]) -> list[Any]:
    """The values of `query.values_list(field, flat=True)`, typed as the flat list they are
    (Tortoise's stubs say a list of tuples whatever `flat` is)."""
    values: list[Any] = list(await query)
    return values
