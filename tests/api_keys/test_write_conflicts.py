"""Writes that several processes make at once: batches of counted calls lock their rows in
one order, a transaction the database kills as a deadlock runs again, and sweeps skip the
rows a request holds instead of waiting for them."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from auth.call_counter import _Batch, _statements
from core.metrics import WRITE_CONFLICT_RETRIES
from models import RateLimitCounter
from models.conflicts import is_transient_conflict, retry_on_conflict
from models.rate_limits import delete_expired_counters
from tests.support.database import column

NOW = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)
POSTGRES_ONLY = "PostgreSQL NOT TESTED: row locks and deadlocks exist only there"


def _require_postgres() -> None:
    if get_connection("default").capabilities.dialect != "postgres":
        pytest.skip(f"{POSTGRES_ONLY}; set TEST_DATABASE_URL to run this")


async def test_a_batch_writes_its_rows_in_one_order_whatever_order_its_calls_came_in() -> None:
    batch = _Batch()
    arrivals = [(9, NOW + timedelta(minutes=2)), (3, NOW), (9, NOW), (5, NOW), (3, NOW)]
    for key_id, moment in arrivals:
        batch.add(key_id, moment, None)

    statements = _statements(batch, "postgres")

    keys = [values[-1] for sql, values in statements if sql.startswith("UPDATE api_keys")]
    key_days = [
        (values[0], values[1])
        for sql, values in statements
        if sql.startswith("INSERT INTO api_key_usage_days")
    ]
    days = [values[0] for sql, values in statements if sql.startswith("INSERT INTO api_call_days")]
    kinds = [sql.replace("INSERT INTO", "UPDATE").split()[1] for sql, _ in statements]
    assert keys == [3, 5, 9]
    assert key_days == sorted(key_days)
    assert [key for key, _ in key_days] == [3, 5, 9, 9]
    assert days == sorted(days)
    assert len(days) == 2
    # Every key row before any key day, every key day before any day total, the usage
    # roll-ups last (one multi-row upsert).
    assert kinds == (
        ["api_keys"] * 3
        + ["api_key_usage_days"] * 4
        + ["api_call_days"] * 2
        + ["api_key_usage_rollups"]
    )
    for waiter in batch.waiters:
        waiter.cancel()


def test_deadlocks_serialization_failures_and_a_busy_sqlite_file_are_transient() -> None:
    from asyncpg.exceptions import (  # type: ignore[import-untyped]
        DeadlockDetectedError,
        SerializationError,
    )

    try:
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.OperationalError as busy:
            raise OperationalError(busy)  # noqa: B904 - as the ORM's SQLite client does
    except OperationalError as wrapped:
        wrapped_busy = wrapped

    assert is_transient_conflict(DeadlockDetectedError("deadlock detected"))
    assert is_transient_conflict(SerializationError("could not serialize access"))
    assert is_transient_conflict(wrapped_busy)
    assert not is_transient_conflict(OperationalError(sqlite3.OperationalError("no such table")))
    assert not is_transient_conflict(IntegrityError("duplicate key"))
    assert not is_transient_conflict(ValueError("database is locked"))


async def test_a_transaction_killed_as_a_deadlock_runs_again_and_counts_once(db: None) -> None:
    _require_postgres()
    await RateLimitCounter.create(bucket="a", hits=0, expires_at=1e12)
    await RateLimitCounter.create(bucket="b", hits=0, expires_at=1e12)
    both_hold_their_first_row = asyncio.Barrier(2)
    retries_before = WRITE_CONFLICT_RETRIES.labels(operation="test")._value.get()

    runs: list[str] = []

    async def increment(first: str, second: str) -> None:
        async with in_transaction() as transaction:
            sql = "UPDATE rate_limit_counters SET hits = hits + 1 WHERE bucket = $1"
            await transaction.execute_query(sql, [first])
            if first not in runs:  # the first run of each: the other's first row is held
                runs.append(first)
                async with asyncio.timeout(30):
                    await both_hold_their_first_row.wait()
            await transaction.execute_query(sql, [second])

    # Opposite orders: PostgreSQL kills one of the two after deadlock_timeout.
    async with asyncio.timeout(60):
        await asyncio.gather(
            retry_on_conflict("test", lambda: increment("a", "b")),
            retry_on_conflict("test", lambda: increment("b", "a")),
        )

    counts = dict(await RateLimitCounter.all().values_list("bucket", "hits"))
    assert counts == {"a": 2, "b": 2}
    assert WRITE_CONFLICT_RETRIES.labels(operation="test")._value.get() == retries_before + 1


async def test_a_sweep_skips_a_row_a_transaction_holds_instead_of_waiting(db: None) -> None:
    _require_postgres()
    for bucket in ("held", "free", "live"):
        await RateLimitCounter.create(
            bucket=bucket, hits=1, expires_at=2_000 if bucket == "live" else 1_000
        )
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with in_transaction() as transaction:
            await transaction.execute_query(
                "UPDATE rate_limit_counters SET hits = hits + 1 WHERE bucket = 'held'"
            )
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    async with asyncio.timeout(30):  # a sweep that waited for the row would never return
        swept = await delete_expired_counters(1_500)
    release.set()
    await holder
    left = set(await column(RateLimitCounter.all().values_list("bucket", flat=True)))
    swept_later = await delete_expired_counters(1_500)

    assert swept == 1
    assert left == {"held", "live"}
    assert swept_later == 1
