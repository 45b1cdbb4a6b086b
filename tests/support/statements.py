"""The SQL statements a block of a test makes, read off the real connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tortoise.backends.sqlite.client import SqliteClient
from tortoise.connection import get_connection

from models.reads import LoopReader

_EXECUTING_METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """Records each SQL statement the default connection executes, while the block runs:
    SQLite's reads on the event loop (`models.reads.LoopReader`) too."""
    connection = get_connection("default")
    reader = LoopReader.of(connection) if isinstance(connection, SqliteClient) else None
    patched = [(connection, name) for name in _EXECUTING_METHODS]
    if reader is not None:
        patched.append((reader, "execute_query"))
    statements: list[str] = []
    for target, name in patched:
        original = getattr(target, name)

        async def counted(query: str, *args: Any, _original: Any = original) -> Any:
            statements.append(query)
            return await _original(query, *args)

        setattr(target, name, counted)
    try:
        yield statements
    finally:
        for target, name in patched:
            delattr(target, name)
