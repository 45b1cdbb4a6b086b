"""Hand-written SELECTs on request paths, written once with `?` for parameters.

On SQLite these reads run on the event loop, through a read-only connection of the
process's own (`LoopReader`), when no transaction is open in the caller's context. Handing
a statement to aiosqlite's thread and waking the loop again costs about 75 µs of CPU,
more than any of these reads takes, even though each commit of another connection (every
counted key call) empties the reader's page cache. The reader sees what is committed,
as every other connection does; inside a transaction the read goes to the transaction's
connection, to see its own writes. It never waits, for a lock or for another request's
transaction: a database that is busy (a WAL being recovered, a journal mode other than
WAL during a write) or any other error of the reader sends the read to Tortoise's
connection, whose errors the rest of the app knows.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.connection import get_connection


def numbered(sql: str) -> str:
    """PostgreSQL's $1, $2… for SQLite's ?."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], 1))


async def read(sql: str, parameters: list[Any], *, postgres: str | None = None) -> list[Any]:
    """The rows of one SELECT as sequences of values. `postgres`: the statement for
    PostgreSQL when it differs (still with `?`)."""
    connection = get_connection("default")
    # Exactly the client: its transaction wrapper is a subclass.
    if type(connection) is SqliteClient:
        reader = LoopReader.of(connection)
        if reader is not None:
            try:
                _, found = await reader.execute_query(sql, parameters)
            except sqlite3.Error:
                LoopReader.forget(connection)  # the next read opens a new one
            else:
                # Still a turn of the loop, as a read through the thread was: requests that
                # never yield were answered unfairly (S4's p99 five times its p50) and slower.
                await asyncio.sleep(0)
                return found
    elif connection.capabilities.dialect == "postgres":
        sql = numbered(postgres or sql)
    _, rows = await connection.execute_query(sql, parameters)
    return list(rows)


class LoopReader(BaseDBAsyncClient):
    """A SQLite client's second connection, read-only, used on the event loop.

    A Tortoise client class only so that its statements are logged, timed and traced as
    every client's (gatehouse.database_timing wraps the client classes); it runs nothing
    but `execute_query`. Made on first use for each open Tortoise connection, and made
    again when Tortoise reconnects (the file may have been replaced meanwhile)."""

    capabilities = SqliteClient.capabilities

    def __init__(self, client: SqliteClient) -> None:
        super().__init__(client.connection_name)
        self._source = client._connection
        self._connection = sqlite3.connect(
            client.filename, timeout=0, isolation_level=None, check_same_thread=False
        )
        self._connection.execute("PRAGMA query_only = 1")

    @classmethod
    def of(cls, client: SqliteClient) -> LoopReader | None:
        source = client._connection
        if source is None or client.filename == ":memory:" or "mode=memory" in client.filename:
            return None
        reader = _READERS.get(client)
        if reader is None or reader._source is not source:
            cls.forget(client)
            try:
                reader = _READERS[client] = cls(client)
            except sqlite3.Error:
                return None
        return reader

    @classmethod
    def forget(cls, client: SqliteClient) -> None:
        reader = _READERS.pop(client, None)
        if reader is not None:
            reader._connection.close()

    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, list[Any]]:
        self.log.debug("%s: %s", query, values)
        rows = self._connection.execute(query, values or ()).fetchall()
        return len(rows), rows


_READERS: weakref.WeakKeyDictionary[SqliteClient, LoopReader] = weakref.WeakKeyDictionary()
