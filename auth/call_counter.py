"""Counting key calls with group commit: concurrent calls share one transaction.

Every counted call is durable before its request runs, as with one transaction per call,
but calls that arrive while a transaction is in flight wait for the next one and are
written together: one `UPDATE … SET total_calls = total_calls + n` per key and one upsert
per key and day, whatever n is. A hot key's row is then written once per commit rather
than once per call, so neither SQLite's single writer nor PostgreSQL's row lock makes
concurrent calls queue up one commit each. Increments stay in the database, so several
processes count exactly.

The same transaction adds the batch's calls to the usage roll-ups (models.usage_rollups):
counted in memory by key, hour, operation and outcome, written as one multi-row upsert of
their hour, day and month rows, so the trips per batch stay what they were plus one.
Refusals of a known key at the door and outcomes known only after a request ran go to the
roll-ups alone, through the same batches (`record_refusal`, `move_outcome`).

Several processes write batches at once, and a batch locks one row per key, per key and day,
per day of `api_call_days`, and per roll-up row. Every batch takes those locks in one global
order (keys by id, then key days by key and day, then days, then roll-up rows sorted), so no
two batches can each hold a row the other waits for: batches of different processes queue,
they never deadlock. Should the database still roll a batch back (a deadlock with some other
writer, a serialization failure, a busy SQLite file), the whole batch runs again after a
short random pause (`models.conflicts`), and its callers only wait a little longer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from models import ApiKey, ApiKeyUsageDay
from models.conflicts import retry_on_conflict
from models.usage import ANONYMOUS_OPERATION, MAX_OPERATION_LENGTH, OK
from models.usage_rollups import rollup_statements


@dataclass
class _Batch:
    calls: Counter[int] = field(default_factory=Counter)
    days: Counter[tuple[int, date]] = field(default_factory=Counter)
    last_used: dict[int, tuple[datetime, str | None]] = field(default_factory=dict)
    # Calls by key, hour, operation and outcome; refusals and outcome moves land here only.
    hours: Counter[tuple[int, datetime, str, str]] = field(default_factory=Counter)
    waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def add(
        self,
        key_id: int,
        now: datetime,
        address: str | None,
        operation: str = ANONYMOUS_OPERATION,
        outcome: str = OK,
    ) -> asyncio.Future[None]:
        self.calls[key_id] += 1
        self.days[(key_id, now.date())] += 1
        previous = self.last_used.get(key_id)
        if previous is None or previous[0] <= now:
            self.last_used[key_id] = (now, address)
        return self.add_to_rollups(key_id, now, operation, outcome)

    def add_to_rollups(
        self, key_id: int, now: datetime, operation: str, outcome: str
    ) -> asyncio.Future[None]:
        self.hours[(key_id, hour_of(now), operation, outcome)] += 1
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        return waiter

    def move_in_rollups(
        self, key_id: int, at: datetime, operation: str, recorded: str, outcome: str
    ) -> asyncio.Future[None]:
        self.hours[(key_id, hour_of(at), operation, recorded)] -= 1
        return self.add_to_rollups(key_id, at, operation, outcome)


def hour_of(moment: datetime) -> datetime:
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


# Told the keys of each committed batch, once per key (the live subscriptions' signal).
OnCommit = Callable[[Iterable[int]], None]


class CallCounter:
    def __init__(self, on_commit: OnCommit | None = None) -> None:
        self._pending = _Batch()
        self._writer: asyncio.Task[None] | None = None
        self._on_commit = on_commit

    def count(
        self, key_id: int, now: datetime, address: str | None, operation: str, outcome: str
    ) -> asyncio.Future[None]:
        return self._joined(self._pending.add(key_id, now, address, operation, outcome))

    def count_refusal(
        self, key_id: int, now: datetime, operation: str, outcome: str
    ) -> asyncio.Future[None]:
        return self._joined(self._pending.add_to_rollups(key_id, now, operation, outcome))

    def move_outcome(
        self, key_id: int, at: datetime, operation: str, recorded: str, outcome: str
    ) -> asyncio.Future[None]:
        return self._joined(self._pending.move_in_rollups(key_id, at, operation, recorded, outcome))

    def _joined(self, waiter: asyncio.Future[None]) -> asyncio.Future[None]:
        """`waiter`, of the pending batch, with a writer on its way to commit it."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_while_pending())
        return waiter

    async def _write_while_pending(self) -> None:
        while self._pending.waiters:
            batch, self._pending = self._pending, _Batch()
            try:
                await _write(batch)
            except BaseException as exc:
                for waiter in batch.waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                if self._on_commit is not None:
                    self._on_commit(batch.calls.keys())
                for waiter in batch.waiters:
                    if not waiter.done():
                        waiter.set_result(None)


_COUNT_CALLS = (
    "UPDATE api_keys SET total_calls = total_calls + ?, last_used_at = ?, last_used_ip = ? "
    "WHERE id = ?"
)
# An upsert: the day's first call creates the row, and two processes racing to create it
# both count, without a failed insert aborting the transaction.
_COUNT_DAY = (
    "INSERT INTO api_key_usage_days (api_key_id, day, calls) VALUES (?, ?, ?) "
    "ON CONFLICT (api_key_id, day) DO UPDATE SET calls = api_key_usage_days.calls + excluded.calls"
)


def _numbered(sql: str) -> str:
    """PostgreSQL's $1, $2… for SQLite's ?."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], 1))


_COUNT_ALL_KEYS_DAY = (
    "INSERT INTO api_call_days (day, calls) VALUES (?, ?) "
    "ON CONFLICT (day) DO UPDATE SET calls = api_call_days.calls + excluded.calls"
)
_SQL = {
    "sqlite": (_COUNT_CALLS, _COUNT_DAY, _COUNT_ALL_KEYS_DAY),
    "postgres": tuple(_numbered(sql) for sql in (_COUNT_CALLS, _COUNT_DAY, _COUNT_ALL_KEYS_DAY)),
}


def _statements(batch: _Batch, dialect: str) -> list[tuple[str, list[Any]]]:
    """The batch's statements in the global lock order: every batch locks key rows by id,
    then key days by (key, day), then days. Calls arrive in any order, so sorted here."""
    count_calls, count_day, count_all_keys_day = _SQL[dialect]
    statements: list[tuple[str, list[Any]]] = []
    for key_id, count in sorted(batch.calls.items()):
        used_at, address = batch.last_used[key_id]
        statements.append(
            (count_calls, [count, _LAST_USED_AT.to_db_value(used_at, ApiKey), address, key_id])
        )
    all_keys: Counter[date] = Counter()
    for (key_id, day), count in sorted(batch.days.items()):
        statements.append((count_day, [key_id, _DAY.to_db_value(day, ApiKeyUsageDay), count]))
        all_keys[day] += count
    for day, count in sorted(all_keys.items()):
        statements.append((count_all_keys_day, [_DAY.to_db_value(day, ApiKeyUsageDay), count]))
    # Last in the lock order: the roll-up rows, sorted, in one statement per few hundred.
    statements.extend(rollup_statements(batch.hours, dialect))
    return statements


async def _write(batch: _Batch) -> None:
    await retry_on_conflict("call_counter", lambda: _write_once(batch))


async def _write_once(batch: _Batch) -> None:
    connection = get_connection("default")
    statements = _statements(batch, connection.capabilities.dialect)
    if isinstance(connection, SqliteClient) and not isinstance(connection, TransactionalDBClient):
        await _write_sqlite(connection, statements)
        return
    async with in_transaction() as transaction:
        for sql, values in statements:
            await transaction.execute_query(sql, values)


async def _write_sqlite(client: SqliteClient, statements: list[tuple[str, list[Any]]]) -> None:
    """The whole transaction in one trip to aiosqlite's thread, where the ORM's transaction
    takes one trip per statement plus three. Each trip wakes that thread, which on a busy
    core costs more than these statements do (in py-spy profiles of S1 the thread's share
    fell from 23 % to 15 % of the samples). Holding the client's lock keeps the ORM's own
    transactions out meanwhile, as theirs does."""
    async with client.acquire_connection() as connection:
        try:
            await connection._execute(_commit_in_one_go, connection._conn, statements)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc
        except sqlite3.Error as exc:
            raise OperationalError(exc) from exc


def _commit_in_one_go(
    database: sqlite3.Connection, statements: list[tuple[str, list[Any]]]
) -> None:
    database.execute("BEGIN")
    try:
        for sql, values in statements:
            database.execute(sql, values)
    except BaseException:
        database.rollback()
        raise
    database.commit()


_LAST_USED_AT = ApiKey._meta.fields_map["last_used_at"]
_DAY = ApiKeyUsageDay._meta.fields_map["day"]


class CallCounters:
    """One `CallCounter` per event loop (the tests run many loops, a server one): held by
    the process's `Runtime`."""

    def __init__(self, on_commit: OnCommit | None = None) -> None:
        self._counters: WeakKeyDictionary[asyncio.AbstractEventLoop, CallCounter] = (
            WeakKeyDictionary()
        )
        self._on_commit = on_commit
        # The last loop asked for and its counter: a server has one loop, and every call
        # would otherwise look it up in the weak dictionary.
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], CallCounter] | None = None

    async def record(
        self,
        key_id: int,
        now: datetime,
        address: str | None = None,
        *,
        operation: str | None = None,
        outcome: str = OK,
    ) -> None:
        """Count one call of the key, durably, before returning, in the roll-ups under
        `operation` (None: an anonymous one) and `outcome`."""
        await self.count(key_id, now, address, operation=operation, outcome=outcome)

    def count(
        self,
        key_id: int,
        now: datetime,
        address: str | None = None,
        *,
        operation: str | None = None,
        outcome: str = OK,
    ) -> asyncio.Future[None]:
        """`record`, the call joining the pending batch at once: the answer is done when it
        is durable. Calls counted one after the other, and then awaited, share a commit."""
        return self._counter().count(key_id, now, address, operation_label(operation), outcome)

    async def record_refusal(
        self, key_id: int, now: datetime, *, operation: str | None, outcome: str
    ) -> None:
        """A request of a known key refused at the door (over its rate limit, from an
        address it may not use, revoked...): in the roll-ups under `outcome`, never a call
        (`totalCalls`, `usage`, `apiCallsToday` stay as they are)."""
        await self._counter().count_refusal(key_id, now, operation_label(operation), outcome)

    async def move_outcome(
        self,
        key_id: int,
        at: datetime,
        *,
        operation: str | None,
        outcome: str,
        recorded: str = OK,
    ) -> None:
        """A call counted at `at` under `recorded` was answered with `outcome`: move it
        there in the roll-ups. Calls are counted before their request runs, so the outcome
        is known only after; the call itself stays counted."""
        if outcome == recorded:
            return
        await self._counter().move_outcome(
            key_id, at, operation_label(operation), recorded, outcome
        )

    def _counter(self) -> CallCounter:
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0]() is loop:
            return last[1]
        counter = self._counters.get(loop)
        if counter is None:
            counter = self._counters[loop] = CallCounter(self._on_commit)
        self._last = (weakref.ref(loop), counter)
        return counter


def operation_label(operation: str | None) -> str:
    """What the roll-ups call an operation: its name, cut to the column's width."""
    if not operation:
        return ANONYMOUS_OPERATION
    return operation[:MAX_OPERATION_LENGTH]
