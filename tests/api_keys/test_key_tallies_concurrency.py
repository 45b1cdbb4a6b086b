"""The key tallies on PostgreSQL under concurrent writers, each a connection of its own as
another server process would be: creations that interleave all count, and transactions
changing keys in crossing orders never deadlock on the tally row."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from gatehouse.database import apply_migrations

KEYS_PER_WRITER = 40
COUNTS = (
    "SELECT COUNT(*), COUNT(revoked_at), "
    "COUNT(CASE WHEN revoked_at IS NULL AND disabled_at IS NOT NULL THEN 1 END) FROM api_keys"
)
TALLY = "SELECT total_keys, revoked_keys, disabled_keys FROM key_tallies WHERE id = 1"
INSERT = (
    "INSERT INTO api_keys (name, key_hash, key_prefix, key_last_four, scopes_encoded, "
    "created_at, total_calls, rate_limited_calls) VALUES ($1, $2, 'gk_x', 'abcd', ',READ,', "
    "now(), 0, 0) RETURNING id"
)


async def connect(url: str) -> Any:
    return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))


async def create_keys(url: str, name: str, start: asyncio.Event) -> list[int]:
    connection = await connect(url)
    try:
        await start.wait()
        ids = []
        for number in range(KEYS_PER_WRITER):
            async with connection.transaction():
                ids.append(await connection.fetchval(INSERT, f"{name} {number}", uuid.uuid4().hex))
                if number % 3 == 0:
                    await connection.execute(
                        "UPDATE api_keys SET disabled_at = now() WHERE id = $1", ids[-1]
                    )
                await asyncio.sleep(0)
        return ids
    finally:
        await connection.close()


async def cross(url: str, first: list[int], second: list[int]) -> None:
    one, two = await connect(url), await connect(url)
    try:
        a, b = one.transaction(), two.transaction()
        await a.start()
        await b.start()
        await one.execute("UPDATE api_keys SET revoked_at = now() WHERE id = $1", first[0])
        # Were the tally row locked at each change rather than at the commit, this would
        # wait for `one` forever, since `one` goes on to wait for `two`.
        await two.execute("UPDATE api_keys SET revoked_at = now() WHERE id = $1", second[0])
        crossing = asyncio.create_task(
            one.execute("UPDATE api_keys SET disabled_at = NULL WHERE id = $1", second[0])
        )
        await asyncio.sleep(0.2)
        await two.execute("UPDATE api_keys SET disabled_at = NULL WHERE id = $1", first[3])
        await b.commit()
        await crossing
        await a.commit()
    finally:
        await one.close()
        await two.close()


async def test_concurrent_writers_all_count(postgres_database: str) -> None:
    await apply_migrations(postgres_database)
    start = asyncio.Event()
    writers = [asyncio.create_task(create_keys(postgres_database, f"w{n}", start)) for n in (1, 2)]
    start.set()
    first, second = await asyncio.gather(*writers)

    connection = await connect(postgres_database)
    try:
        # Then two revoke and re-enable keys in crossing orders, each in one transaction.
        await asyncio.wait_for(cross(postgres_database, first, second), timeout=30)
        counts = tuple(await connection.fetchrow(COUNTS))
        tally = tuple(await connection.fetchrow(TALLY))
    finally:
        await connection.close()

    assert counts[0] == 2 * KEYS_PER_WRITER
    assert counts[1] == 2
    assert tally == counts
