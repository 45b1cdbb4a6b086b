"""`/readyz`: 200 only while this process can serve — the database answers and, where that
is cheap to know, accepts writes — and 503 from the first SIGTERM on.

A failing probe logs one warning when readiness is lost and one line when it returns, never
a traceback per probe.
"""

from __future__ import annotations

import asyncio
import logging
import os

from tortoise.connection import get_connection

from auth.rate_limits import Limiter
from core.outage import database_unavailable
from gatehouse.draining import Drain

log = logging.getLogger("gatehouse.readiness")

PROBE_TIMEOUT_SECONDS = 2.0
_POSTGRES_WRITABLE = (
    "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only"
)


class Readiness:
    def __init__(
        self,
        drain: Drain,
        sqlite_file: str | None = None,
        *,
        limiter: Limiter | None = None,
        requires_redis: bool = False,
        min_free_disk_mb: int = 0,
    ) -> None:
        """`sqlite_file`: the database file this process opened, to notice it deleted,
        replaced or made read-only under the server, or its disk filling up
        (`min_free_disk_mb`, 0 for no check). `requires_redis`: unready while the limiter's
        Redis does not answer (READINESS_REQUIRES_REDIS); `limiter` is that Redis's."""
        self.drain = drain
        self.limiter = limiter
        self.sqlite_file = sqlite_file
        self.requires_redis = requires_redis
        self.min_free_disk_mb = min_free_disk_mb
        self._opened: tuple[int, int] | None = None
        self._problem: str | None = None

    def record_opened(self) -> None:
        if self.sqlite_file is not None:
            opened = os.stat(self.sqlite_file)
            self._opened = (opened.st_dev, opened.st_ino)

    async def check(self) -> str | None:
        """None when ready, else why not."""
        if self.drain.draining:
            return "shutting down"
        problem = (
            self.file_problem()
            or self._disk_problem()
            or await self._database_problem()
            or (await self._redis_problem() if self.requires_redis else None)
        )
        if problem != self._problem:
            if problem is None:
                log.info("ready again: the database (and Redis, where set) answers")
            else:
                log.warning("not ready: %s", problem)
            self._problem = problem
        return problem

    def file_problem(self) -> str | None:
        """Why this process's SQLite file may not be written (removed, replaced, read-only),
        or None; a stat, cheap enough to ask before every request."""
        if self.sqlite_file is None:
            return None
        try:
            current = os.stat(self.sqlite_file)
        except FileNotFoundError:
            return f"the database file {self.sqlite_file} was removed"
        except OSError as exc:
            return f"the database file {self.sqlite_file} cannot be read: {exc.strerror}"
        if self._opened is not None and (current.st_dev, current.st_ino) != self._opened:
            return f"the database file {self.sqlite_file} was replaced since it was opened"
        if not os.access(self.sqlite_file, os.W_OK):
            return f"the database file {self.sqlite_file} is read-only"
        return None

    def _disk_problem(self) -> str | None:
        if self.sqlite_file is None or not self.min_free_disk_mb:
            return None
        try:
            disk = os.statvfs(os.path.dirname(os.path.abspath(self.sqlite_file)))
        except OSError as exc:
            return f"cannot read the free space beside {self.sqlite_file}: {exc.strerror}"
        free_mb = disk.f_bavail * disk.f_frsize / 1024 / 1024
        if free_mb < self.min_free_disk_mb:
            return (
                f"{free_mb:.1f} MB free on the filesystem of {self.sqlite_file}, below "
                f"MIN_FREE_DISK_MB={self.min_free_disk_mb}"
            )
        return None

    async def _database_problem(self) -> str | None:
        try:
            connection = get_connection("default")
            async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                if connection.capabilities.dialect != "postgres":
                    await connection.execute_query("SELECT 1")
                    return None
                rows = await connection.execute_query_dict(_POSTGRES_WRITABLE)
        except TimeoutError:
            return f"the database did not answer within {PROBE_TIMEOUT_SECONDS:g} s"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            reason = database_unavailable(exc) or type(exc).__name__
            return f"the database does not answer: {reason}"
        if rows[0]["recovery"] or rows[0]["read_only"] == "on":
            return "PostgreSQL is read-only (a standby, or in recovery)"
        return None

    async def _redis_problem(self) -> str | None:
        # Without Redis the server refuses sign-ins (key calls go on): unready only where
        # the operator chose so, since every replica would turn unready at once.
        if self.limiter is None or await self.limiter.ready():
            return None
        return "Redis (REDIS_URL) does not answer"
