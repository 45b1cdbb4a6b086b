"""Hand-written SELECTs on request paths, written once with `?` for parameters.

(Reading through a connection of our own on the event loop, to skip aiosqlite's thread
hop, was measured and dropped: every key call commits a count, which empties a second
connection's page cache before each read, and the reads got three times slower.)
"""

from __future__ import annotations

from typing import Any

from tortoise.connection import get_connection


def numbered(sql: str) -> str:
    """PostgreSQL's $1, $2… for SQLite's ?."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], 1))


async def read(sql: str, parameters: list[Any], *, postgres: str | None = None) -> list[Any]:
    """The rows of one SELECT as sequences of values. `postgres`: the statement for
    PostgreSQL when it differs (still with `?`)."""
    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        sql = numbered(postgres or sql)
    _, rows = await connection.execute_query(sql, parameters)
    return list(rows)
