"""The one way a CLI command gets its runtime and its database: the same `build_runtime`
the app uses, started before the command's work and closed after it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tortoise import Tortoise

from auth.runtime import Runtime, running
from core.config import Settings
from gatehouse.database import ensure_sqlite_directory, tortoise_config

Work = Callable[[Runtime], Awaitable[None]]


async def with_runtime(
    settings: Settings, work: Work, *, make_sqlite_directory: bool = False
) -> None:
    """Run `work` with the process's runtime and the database open, inside a running loop
    (the start-up's first super-admin)."""
    async with running(settings) as runtime:
        if make_sqlite_directory:
            ensure_sqlite_directory(settings.database_url)
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            await work(runtime)
        finally:
            await Tortoise.close_connections()


def run_command(settings: Settings, work: Work, *, make_sqlite_directory: bool = False) -> None:
    """A command's whole run: runtime, database, work, and everything closed again."""
    asyncio.run(with_runtime(settings, work, make_sqlite_directory=make_sqlite_directory))
