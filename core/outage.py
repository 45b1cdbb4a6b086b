"""Recognise a database that is down or unreachable, as opposed to a bug.

Such a failure is answered `INTERNAL` with HTTP 503 and logged as one line: its traceback
says nothing the message does not, and an outage would print one per request.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
from types import TracebackType

from asyncpg import exceptions as pg  # type: ignore[import-untyped]
from tortoise.exceptions import DBConnectionError

from core.errors import GatehouseError

_PG_UNAVAILABLE = (
    pg.PostgresConnectionError,  # SQLSTATE class 08
    pg.OperatorInterventionError,  # class 57: shutdown, terminated backend, starting up
    pg.InsufficientResourcesError,  # class 53: disk full, too many connections
    pg.InvalidCatalogNameError,  # the database was dropped
    pg.ReadOnlySQLTransactionError,  # a standby after failover
    pg.InterfaceError,  # "connection is closed", "pool is closing"
)
# Modules whose frames in a traceback mean "raised while talking to the database".
_DRIVER_MODULES = ("asyncpg", "aiosqlite", "sqlite3", "tortoise", "pypika_tortoise")
# Socket failures: a database (or Redis) server that is down or unreachable. A file that
# is missing or unreadable is an outage only when the driver met it (a PostgreSQL Unix
# socket, SQLite's file): the same FileNotFoundError from a static file is a bug.
_CONNECTION_ERRORS = (ConnectionError, TimeoutError, socket.gaierror, socket.herror)
# SQLite reports these as OperationalError; the message is all that tells them apart.
_SQLITE_UNAVAILABLE = (
    "readonly database",
    "disk i/o error",
    "unable to open database",
    "database is locked",
    "database or disk is full",
)


def database_unavailable(error: BaseException) -> str | None:
    """One line saying why the database cannot serve, or None when `error` is something else."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (DBConnectionError, *_PG_UNAVAILABLE)):
            return _describe(current)
        if isinstance(current, OSError) and (
            isinstance(current, _CONNECTION_ERRORS) or _raised_by_driver(current.__traceback__)
        ):
            return _describe(current)
        if isinstance(current, pg.ObjectNotInPrerequisiteStateError) and (
            "accepting connections" in str(current)  # ALTER DATABASE … ALLOW_CONNECTIONS false
        ):
            return _describe(current)
        if isinstance(current, sqlite3.OperationalError) and any(
            text in str(current).lower() for text in _SQLITE_UNAVAILABLE
        ):
            return _describe(current)
        if isinstance(current, GatehouseError):  # an answer, whatever led to it
            return None
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return None


def _raised_by_driver(traceback: TracebackType | None) -> bool:
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if module.partition(".")[0] in _DRIVER_MODULES:
            return True
        traceback = traceback.tb_next
    return False


def _describe(error: BaseException) -> str:
    message = " ".join(str(error).split()) or "no message"
    return f"{type(error).__name__}: {message}"


class OneLineOutages(logging.Filter):
    """Shortens a library's log record about an outage (asyncpg's pool logs a traceback
    each time it fails to reconnect) to its message and one line of cause."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            outage = database_unavailable(record.exc_info[1])
            if outage is not None:
                record.msg = f"{record.getMessage()}: {outage}"
                record.args = None
                record.exc_info = None
                record.exc_text = None
        return True


def shorten_library_outage_logs() -> None:
    pool_log = logging.getLogger("asyncpg.pool")
    if not any(isinstance(existing, OneLineOutages) for existing in pool_log.filters):
        pool_log.addFilter(OneLineOutages())
