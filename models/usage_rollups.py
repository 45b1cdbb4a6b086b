"""The roll-up table's statements: the group commit's upserts, the series' reads in keyset
batches, and pruning in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from tortoise.connection import get_connection

from models.reads import numbered
from models.usage import ApiKeyUsageRollup

HOUR, DAY, MONTH = "HOUR", "DAY", "MONTH"
GRANULARITIES = (HOUR, DAY, MONTH)
# Rows per upsert: six parameters a row stays far below SQLite's and asyncpg's limits.
ROWS_PER_STATEMENT = 400

_BUCKET = ApiKeyUsageRollup._meta.fields_map["bucket_start"]
_UPSERT_HEAD = (
    "INSERT INTO api_key_usage_rollups "
    "(api_key_id, granularity, bucket_start, operation, outcome, calls) VALUES "
)
# Two processes racing to create a bucket's row both count, without a failed insert
# aborting the batch's transaction.
_UPSERT_TAIL = (
    " ON CONFLICT (api_key_id, granularity, bucket_start, operation, outcome) "
    "DO UPDATE SET calls = api_key_usage_rollups.calls + excluded.calls"
)


def bucket_start(moment: datetime, granularity: str) -> datetime:
    """The start of the UTC hour, day or month holding `moment`."""
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if granularity == HOUR:
        return moment
    moment = moment.replace(hour=0)
    return moment if granularity == DAY else moment.replace(day=1)


def next_bucket(start: datetime, granularity: str) -> datetime:
    if granularity == MONTH:
        if start.month == 12:
            return start.replace(year=start.year + 1, month=1)
        return start.replace(month=start.month + 1)
    return start + (timedelta(hours=1) if granularity == HOUR else timedelta(days=1))


def db_time(moment: datetime) -> Any:
    return _BUCKET.to_db_value(moment, ApiKeyUsageRollup)


def python_time(value: Any) -> datetime:
    moment = _BUCKET.to_python_value(value)
    if not isinstance(moment, datetime):
        raise TypeError(f"not a time: {value!r}")
    return moment.astimezone(UTC)


@lru_cache(maxsize=512)
def _buckets_of(hour: datetime) -> tuple[tuple[str, Any], ...]:
    """The hour's hour, day and month buckets as the database stores their starts: the
    same few hours come in every batch, so worked out once each (a third of a batch's
    statement building, measured)."""
    return tuple(
        (granularity, db_time(bucket_start(hour, granularity))) for granularity in GRANULARITIES
    )


@lru_cache(maxsize=64)
def _upsert_sql(rows: int, dialect: str) -> str:
    sql = _UPSERT_HEAD + ", ".join(["(?, ?, ?, ?, ?, ?)"] * rows) + _UPSERT_TAIL
    return numbered(sql) if dialect == "postgres" else sql


def rollup_statements(
    hours: Mapping[tuple[int, datetime, str, str], int], dialect: str
) -> list[tuple[str, list[Any]]]:
    """The upserts adding a batch's calls, counted by key, hour, operation and outcome, to
    their hour, day and month rows: one statement per few hundred rows, rows sorted so that
    every batch locks them in one order (after the rows the call count locks)."""
    rows: dict[tuple[int, str, Any, str, str], int] = {}
    for (key_id, hour, operation, outcome), calls in hours.items():
        if calls:
            for granularity, start in _buckets_of(hour):
                row = (key_id, granularity, start, operation, outcome)
                rows[row] = rows.get(row, 0) + calls
    ordered = sorted(row for row in rows.items() if row[1])
    statements = []
    for first in range(0, len(ordered), ROWS_PER_STATEMENT):
        chunk = ordered[first : first + ROWS_PER_STATEMENT]
        values: list[Any] = []
        for row, calls in chunk:
            values += [*row, calls]
        statements.append((_upsert_sql(len(chunk), dialect), values))
    return statements


@dataclass(frozen=True)
class SeriesQuery:
    """Calls between `start` (inclusive) and `end` (exclusive), both bucket starts, of one
    key or of every key (`api_key_id` None), by bucket and the dimensions asked for."""

    granularity: str
    start: datetime
    end: datetime
    api_key_id: int | None = None
    by_operation: bool = False
    by_outcome: bool = False


@dataclass(frozen=True)
class SeriesRow:
    start: datetime
    operation: str | None
    outcome: str | None
    calls: int


async def series_rows(query: SeriesQuery, batch_size: int = 1000) -> AsyncIterator[SeriesRow]:
    """The non-zero rows of the series, oldest bucket first, then by operation and outcome,
    read in keyset batches: however long the range, at most `batch_size` rows are held.
    One bucket's groups are read whole (a bucket is never split across batches)."""
    after: datetime | None = None
    while True:
        batch = await _series_batch(query, after, batch_size)
        if not batch:
            return
        for row in batch:
            yield row
        after = batch[-1].start


async def _series_batch(
    query: SeriesQuery, after: datetime | None, batch_size: int
) -> list[SeriesRow]:
    columns = ["bucket_start"]
    if query.by_operation:
        columns.append("operation")
    if query.by_outcome:
        columns.append("outcome")
    where = ["granularity = ?", "bucket_start >= ?", "bucket_start < ?"]
    parameters: list[Any] = [query.granularity, db_time(query.start), db_time(query.end)]
    if query.api_key_id is not None:
        where.append("api_key_id = ?")
        parameters.append(query.api_key_id)
    if after is not None:
        where.append("bucket_start > ?")
        parameters.append(db_time(after))
    # The buckets of this batch: the next `batch_size` bucket starts that have rows, so a
    # batch ends on a bucket's boundary.
    buckets = (
        "SELECT DISTINCT bucket_start FROM api_key_usage_rollups "  # noqa: S608 - fixed text
        f"WHERE {' AND '.join(where)} ORDER BY bucket_start LIMIT ?"
    )
    listed = ", ".join(columns)
    sql = (
        f"SELECT {listed}, SUM(calls) FROM api_key_usage_rollups "  # noqa: S608 - fixed text
        f"WHERE {' AND '.join(where)} AND bucket_start IN ({buckets}) "
        f"GROUP BY {listed} HAVING SUM(calls) <> 0 ORDER BY {listed}"
    )
    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        sql = numbered(sql)
    _, rows = await connection.execute_query(sql, [*parameters, *parameters, batch_size])
    result = []
    for row in rows:
        values = list(row)
        start = python_time(values[0])
        operation = str(values[1]) if query.by_operation else None
        outcome = str(values[-2]) if query.by_outcome else None
        result.append(SeriesRow(start, operation, outcome, int(values[-1])))
    return result


@dataclass(frozen=True)
class KeyTotal:
    api_key_id: int
    calls: int
    errors: int


async def top_keys(granularity: str, start: datetime, end: datetime, first: int) -> list[KeyTotal]:
    """The keys with the most calls in the buckets of [start, end); `errors` counts those
    answered with anything but OK."""
    sql = (
        "SELECT api_key_id, SUM(calls), SUM(CASE WHEN outcome <> 'OK' THEN calls ELSE 0 END) "
        "FROM api_key_usage_rollups WHERE granularity = ? AND bucket_start >= ? "
        "AND bucket_start < ? GROUP BY api_key_id HAVING SUM(calls) > 0 "
        "ORDER BY SUM(calls) DESC, api_key_id LIMIT ?"
    )
    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        sql = numbered(sql)
    parameters = [granularity, db_time(start), db_time(end), first]
    _, rows = await connection.execute_query(sql, parameters)
    totals = []
    for row in rows:
        values = list(row)
        totals.append(KeyTotal(int(values[0]), int(values[1]), int(values[2])))
    return totals


_DELETE_BATCH = (
    "DELETE FROM api_key_usage_rollups WHERE id IN (SELECT id FROM api_key_usage_rollups "
    "WHERE granularity = ? AND bucket_start < ? ORDER BY id LIMIT ?)"
)


async def delete_rollups_before(granularity: str, bound: datetime, batch_size: int) -> int:
    """Delete at most `batch_size` rows of `granularity` whose bucket starts before
    `bound`; answers how many. Idempotent, so several hosts may prune at once: on
    PostgreSQL rows another pruner holds are skipped (`SKIP LOCKED`) rather than waited
    for, and a row deleted twice is deleted once."""
    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        sql = numbered(_DELETE_BATCH.replace(")", " FOR UPDATE SKIP LOCKED)"))
    else:
        sql = _DELETE_BATCH
    deleted, _ = await connection.execute_query(sql, [granularity, db_time(bound), batch_size])
    return int(deleted)
