"""Before serving: prove the database usable, then migrate and bootstrap under a lock.

Tortoise 1.1 hangs for ever when its first connection fails (its connection lock is never
released), so every way a database can be unusable is found here first, within seconds,
and reported as one line. Replicas started at once take turns through a lock — a
PostgreSQL advisory lock, or for SQLite an `flock` on a file beside the database — and a
replica that finds the migrations applied and the first super-admin made carries on.

A SQLite database that was lost (deleted, or moved away) is not silently replaced by an
empty one with a new super-admin: where a database evidently existed — the
`<database>.deployment` file written after every successful start, a `-wal`/`-shm` file or
the start-up lock left by an earlier start — a missing or empty file stops the start,
unless ALLOW_NEW_DATABASE says an empty database is wanted.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.base.config_generator import expand_db_url

log = logging.getLogger("gatehouse.startup")

CONNECT_TIMEOUT_SECONDS = 5.0
LOCK_TIMEOUT_SECONDS = 300.0
_POLL_SECONDS = 0.1
# Any constant shared by every Gatehouse process: "gatehous" in ASCII.
_ADVISORY_LOCK_KEY = 0x67617465686F7573


DEPLOYMENT_SUFFIX = ".deployment"


class DatabaseUnusableError(Exception):
    """The database cannot be used; the message names the problem for the operator."""


def sqlite_path(database_url: str) -> str | None:
    """The file of a SQLite URL; None for PostgreSQL and for an in-memory database."""
    if not database_url.startswith("sqlite"):
        return None
    path: str = expand_db_url(database_url)["credentials"]["file_path"]
    return None if path == ":memory:" else path


@asynccontextmanager
async def startup_lock(
    database_url: str, *, allow_new_database: bool = False
) -> AsyncIterator[None]:
    """Checks the database, then holds the start-up lock; raises DatabaseUnusableError."""
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        if path is None:
            yield
            return
        with _sqlite_lock(path) as earlier_start:
            _refuse_to_replace_a_lost_database(path, earlier_start, allow_new_database)
            _check_sqlite(path)
            yield
        return
    connection = await connect_postgres(database_url)
    try:
        await _wait_for_advisory_lock(connection)
        yield
    finally:
        # Closing the session releases the advisory lock too.
        await connection.close()


async def connect_postgres(database_url: str) -> Any:
    timeout = CONNECT_TIMEOUT_SECONDS
    credentials = expand_db_url(database_url)["credentials"]
    where = f"{credentials.get('host')}:{credentials.get('port')}"
    database, user = credentials.get("database"), credentials.get("user")
    try:
        return await asyncpg.connect(
            host=credentials.get("host"),
            port=credentials.get("port"),
            user=user,
            password=credentials.get("password"),
            database=database,
            ssl=credentials.get("ssl"),
            timeout=timeout,
        )
    except TimeoutError:
        raise DatabaseUnusableError(
            f"PostgreSQL at {where} did not answer within {timeout:g} s"
        ) from None
    except OSError as exc:
        raise DatabaseUnusableError(
            f"cannot reach PostgreSQL at {where}: {exc.strerror or exc}"
        ) from None
    except asyncpg.InvalidCatalogNameError:
        raise DatabaseUnusableError(
            f'PostgreSQL at {where} has no database "{database}"; create it first'
        ) from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnusableError(
            f'PostgreSQL at {where} refused role "{user}" on database "{database}": {exc}'
        ) from None


async def _wait_for_advisory_lock(connection: Any) -> None:
    waited = False
    deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
    while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", _ADVISORY_LOCK_KEY):
        if not waited:
            log.info("another process is migrating this database; waiting for it")
            waited = True
        if time.monotonic() > deadline:
            raise DatabaseUnusableError(
                f"another process held the start-up lock for over {LOCK_TIMEOUT_SECONDS:g} s"
            )
        await asyncio.sleep(_POLL_SECONDS)


@contextmanager
def _sqlite_lock(path: str) -> Iterator[bool]:
    """Holds the lock; yields whether its file was already there (an earlier start)."""
    database = Path(path)
    lock_path = Path(f"{path}.startup-lock")
    earlier_start = lock_path.exists()
    if database.is_dir():
        raise DatabaseUnusableError(f"DATABASE_URL: {database} is a directory, not a file")
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseUnusableError(
            f"DATABASE_URL: cannot write in {database.parent}: {exc.strerror}"
            " (SQLite keeps its journal beside the database file)"
        ) from None
    try:
        waited = False
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.info("another process is migrating %s; waiting for it", database)
                    waited = True
                if time.monotonic() > deadline:
                    raise DatabaseUnusableError(
                        f"another process held {lock_path} for over {LOCK_TIMEOUT_SECONDS:g} s"
                    ) from None
                time.sleep(_POLL_SECONDS)
        yield earlier_start
    finally:
        os.close(descriptor)  # releases the flock


def _refuse_to_replace_a_lost_database(path: str, earlier_start: bool, allowed: bool) -> None:
    database = Path(path)
    if database.exists() and database.stat().st_size > 0:
        return
    signs = [
        str(sign)
        for sign in (Path(path + DEPLOYMENT_SUFFIX), Path(path + "-wal"), Path(path + "-shm"))
        if sign.exists()
    ]
    if earlier_start:
        signs.append(f"{path}.startup-lock")
    if not signs:
        return
    if not allowed:
        raise DatabaseUnusableError(
            f"DATABASE_URL: {database} is missing or empty, but {signs[0]} shows a database "
            "was kept there; restore it from a backup, or set ALLOW_NEW_DATABASE=true to "
            "start an empty database with a new first super-admin"
        )
    log.warning(
        "DATABASE_URL: %s is missing or empty although %s shows a database was kept there; "
        "ALLOW_NEW_DATABASE is set: starting an empty database",
        database,
        signs[0],
    )
    # A -wal left by the lost database must not be replayed into the new one.
    for leftover in (Path(path + "-wal"), Path(path + "-shm")):
        if leftover.exists():
            leftover.rename(f"{leftover}.orphaned-{int(time.time())}")


def record_deployment(database_url: str) -> None:
    """After a successful start: the mark that a database lives at this path."""
    path = sqlite_path(database_url)
    if path is None:
        return
    marker = Path(path + DEPLOYMENT_SUFFIX)
    if not marker.exists():
        marker.write_text(
            "Gatehouse keeps its SQLite database beside this file. While this file exists, "
            "a missing database stops `gatehouse serve` instead of starting an empty one "
            "(ALLOW_NEW_DATABASE=true overrides).\n"
        )


def _check_sqlite(path: str) -> None:
    database = Path(path)
    if not os.access(database.parent, os.W_OK):
        raise DatabaseUnusableError(
            f"DATABASE_URL: the directory {database.parent} is not writable"
            " (SQLite keeps its journal beside the database file)"
        )
    if database.exists() and not os.access(database, os.R_OK | os.W_OK):
        raise DatabaseUnusableError(f"DATABASE_URL: {database} is not readable and writable")
    try:
        with closing(sqlite3.connect(database, timeout=CONNECT_TIMEOUT_SECONDS)) as connection:
            # Reads the header (a file that is not a database fails here) and writes
            # (a read-only file or directory fails here), without changing any data.
            connection.execute("PRAGMA journal_mode=WAL").fetchone()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise DatabaseUnusableError(
            f"DATABASE_URL: cannot use {database} as SQLite: {exc}"
        ) from None
