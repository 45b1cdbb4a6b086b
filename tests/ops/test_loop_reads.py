"""SQLite's hand-written reads on the event loop (models.reads): they see what is
committed, never wait for another request's transaction, see a transaction's own writes
inside it, and fall back to Tortoise's connection when their own cannot read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from models import User
from models.reads import LoopReader, read
from tests.support.factories import make_user

# A guard against a hang, not a measurement: a read that waited for the transaction below
# would wait for ever.
NEVER = 30

EMAIL = 'SELECT "email" FROM "users" WHERE "id" = ?'


@pytest.fixture
def sqlite(db: None) -> SqliteClient:
    connection = get_connection("default")
    if not isinstance(connection, SqliteClient):
        pytest.skip("SQLite only: PostgreSQL's reads are asynchronous already (asyncpg)")
    return connection


@asynccontextmanager
async def uncommitted_email(user: User, email: str) -> AsyncIterator[None]:
    """Another task's transaction holding Tortoise's connection with `email` written and not
    yet committed; committed when the block ends."""
    written, release = asyncio.Event(), asyncio.Event()

    async def change() -> None:
        async with in_transaction() as connection:
            await connection.execute_query(
                'UPDATE "users" SET "email" = ? WHERE "id" = ?', [email, user.id]
            )
            written.set()
            await release.wait()

    task = asyncio.create_task(change())
    await written.wait()
    try:
        yield
    finally:
        release.set()
        await task


async def test_a_read_sees_what_is_committed_without_waiting_for_a_transaction(
    sqlite: SqliteClient,
) -> None:
    user = await make_user(email="before@example.com")

    async with uncommitted_email(user, "after@example.com"):
        during = await asyncio.wait_for(read(EMAIL, [user.id]), NEVER)
    after = await read(EMAIL, [user.id])

    assert [tuple(row) for row in during] == [("before@example.com",)]
    assert [tuple(row) for row in after] == [("after@example.com",)]
    assert LoopReader.of(sqlite) is not None


async def test_a_read_inside_a_transaction_sees_its_writes(sqlite: SqliteClient) -> None:
    user = await make_user(email="before@example.com")

    async with in_transaction() as connection:
        await connection.execute_query(
            'UPDATE "users" SET "email" = ? WHERE "id" = ?', ["mine@example.com", user.id]
        )
        inside = await read(EMAIL, [user.id])

    assert [tuple(row) for row in inside] == [("mine@example.com",)]


async def test_a_reader_that_cannot_read_hands_the_read_over_and_is_made_again(
    sqlite: SqliteClient,
) -> None:
    user = await make_user(email="someone@example.com")
    await read(EMAIL, [user.id])
    broken = LoopReader.of(sqlite)
    assert broken is not None
    broken._connection.close()

    rows = await read(EMAIL, [user.id])
    again = await read(EMAIL, [user.id])

    assert (
        [tuple(row) for row in rows] == [tuple(row) for row in again] == [("someone@example.com",)]
    )
    assert LoopReader.of(sqlite) is not broken


async def test_a_reconnected_client_gets_a_reader_of_its_new_connection(
    sqlite: SqliteClient,
) -> None:
    user = await make_user(email="someone@example.com")
    await read(EMAIL, [user.id])
    first = LoopReader.of(sqlite)

    await sqlite.close()
    await sqlite.create_connection(with_db=True)

    assert [tuple(row) for row in await read(EMAIL, [user.id])] == [("someone@example.com",)]
    assert LoopReader.of(sqlite) not in (None, first)


async def test_a_database_in_memory_is_read_through_its_one_connection() -> None:
    memory = SqliteClient(":memory:", connection_name="memory")
    await memory.create_connection(with_db=True)
    try:
        assert LoopReader.of(memory) is None
    finally:
        await memory.close()
