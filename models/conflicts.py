"""Transient write conflicts, and running a transaction again after one.

PostgreSQL rolls a transaction back to break a deadlock (`40P01`) or a serialization
failure (`40001`), and SQLite answers "database is locked" when another process held the
file past `busy_timeout`. In each case the transaction did nothing, so running it again
whole is safe and, after a short random pause, almost always succeeds. Lock ordering is the
cure for deadlocks (see `auth/call_counter.py`); this is the guard for what is left, so a
caller does not see an internal error for a conflict between two other requests.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asyncpg.exceptions import (  # type: ignore[import-untyped]
    DeadlockDetectedError,
    SerializationError,
)
from tortoise.models import Model

from core.metrics import WRITE_CONFLICT_RETRIES

T = TypeVar("T")

log = logging.getLogger("gatehouse.database")

# Six tries, with pauses drawn from 0-10, 0-20, 0-40, 0-80 and 0-160 ms: at most about a
# third of a second in all, and the random draw keeps two losers from colliding again.
CONFLICT_ATTEMPTS = 6
FIRST_PAUSE_SECONDS = 0.01
LONGEST_PAUSE_SECONDS = 0.16
_SQLITE_BUSY = ("database is locked", "database table is locked")


def is_transient_conflict(error: BaseException) -> bool:
    """True for a deadlock or serialization failure on PostgreSQL, or a busy SQLite file,
    whether raw or wrapped by the ORM (it wraps the SQLite one, not the asyncpg ones)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DeadlockDetectedError | SerializationError):
            return True
        if isinstance(current, sqlite3.OperationalError) and str(current) in _SQLITE_BUSY:
            return True
        current = current.__cause__ or current.__context__
    return False


async def retry_on_conflict(
    operation: str, transaction: Callable[[], Awaitable[T]], attempts: int = CONFLICT_ATTEMPTS
) -> T:
    """Run `transaction` (a whole transaction, begun and ended inside it) and run it again,
    up to `attempts` times in all, while it fails with a transient conflict."""
    for attempt in range(1, attempts + 1):
        try:
            return await transaction()
        except Exception as error:
            if attempt == attempts or not is_transient_conflict(error):
                raise
            WRITE_CONFLICT_RETRIES.labels(operation=operation).inc()
            log.info("%s: %s; running it again", operation, type(error).__name__)
            pause = min(FIRST_PAUSE_SECONDS * 2 ** (attempt - 1), LONGEST_PAUSE_SECONDS)
            # Not for security: jitter only spreads the losers apart.
            await asyncio.sleep(random.uniform(0, pause))  # noqa: S311
    raise AssertionError("unreachable")  # pragma: no cover


async def delete_ended_rows(model: type[Model], column: str, bound: Any) -> int:
    """Delete the rows of `model` whose `column` is at most `bound`, as a sweep does, but only
    those no other transaction holds: on PostgreSQL a sweep's DELETE would otherwise lock
    its rows in whatever order its scan meets them, and two sweeps, or a sweep and a request
    ending one user's sessions, could each hold a row the other waits for. Rows skipped now
    go at the next sweep. SQLite has one writer at a time and no row locks to skip."""
    connection = model._meta.db
    field = model._meta.fields_map[column]
    table, key = model._meta.db_table, model._meta.db_pk_column
    name = model._meta.fields_db_projection[column]
    value = field.to_db_value(bound, model)
    if connection.capabilities.dialect == "postgres":
        sql = (
            f'DELETE FROM "{table}" WHERE "{key}" IN '  # noqa: S608 - names from the model
            f'(SELECT "{key}" FROM "{table}" WHERE "{name}" <= $1 FOR UPDATE SKIP LOCKED)'
        )
    else:
        sql = f'DELETE FROM "{table}" WHERE "{name}" <= ?'  # noqa: S608 - names from the model
    deleted, _ = await connection.execute_query(sql, [value])
    return int(deleted)
