"""Usage series and top keys over the roll-ups: ranges checked, buckets in UTC."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from auth.principal import Principal
from core.enums import Role, Scope
from core.errors import (
    ErrorCode,
    GatehouseError,
    MissingScopeError,
    forbidden,
    not_found,
    unauthenticated,
)
from models import ApiKey
from models.usage_rollups import (
    DAY,
    GRANULARITIES,
    HOUR,
    MONTH,
    KeyTotal,
    bucket_start,
    next_bucket,
    series_rows,
    top_keys,
)

# Re-exported for the CSV export, which sits above resolvers and reaches no model itself.
from models.usage_rollups import SeriesQuery as SeriesQuery
from models.usage_rollups import SeriesRow as SeriesRow


class UsageGranularity(StrEnum):
    HOUR = HOUR
    DAY = DAY
    MONTH = MONTH


class UsageDimension(StrEnum):
    OPERATION = "OPERATION"
    OUTCOME = "OUTCOME"


OPERATION, OUTCOME = UsageDimension.OPERATION.value, UsageDimension.OUTCOME.value
# The longest range a request may ask for, in buckets: a leap year of hours, ten years of
# days, a century of months. A GraphQL series also counts its buckets in the query cost.
MAX_BUCKETS = {HOUR: 24 * 366, DAY: 3660, MONTH: 1200}
MAX_TOP_KEYS = 100
INVALID_RANGE = "INVALID_RANGE"
RANGE_TOO_LONG = "RANGE_TOO_LONG"
USAGE_READERS = (Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY)


@dataclass(frozen=True)
class UsageRange:
    granularity: str
    start: datetime  # the start of the bucket holding `from`
    end: datetime  # `to`, exclusive

    def buckets(self) -> int:
        return count_buckets(self.start, self.end, self.granularity)


def count_buckets(start: datetime, end: datetime, granularity: str) -> int:
    """Buckets of `granularity` whose start lies in [bucket of start, end)."""
    first = bucket_start(start, granularity)
    if end <= first:
        return 0
    if granularity == MONTH:
        months = (end.year - first.year) * 12 + end.month - first.month
        return months + (1 if bucket_start(end, MONTH) < end else 0)
    seconds = 3600 if granularity == HOUR else 86400
    whole, part = divmod((end - first).total_seconds(), seconds)
    return int(whole) + (1 if part else 0)


def _utc(moment: datetime) -> datetime:
    # A DateTime without an offset is read as UTC, as every DateTime this API answers is.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def usage_range(start: datetime, end: datetime, granularity: str) -> UsageRange:
    """Checks a requested range: `from` before `to`, and not more buckets than
    MAX_BUCKETS allows (BAD_USER_INPUT with reason INVALID_RANGE or RANGE_TOO_LONG)."""
    if granularity not in GRANULARITIES:
        raise GatehouseError(
            ErrorCode.BAD_USER_INPUT,
            "granularity must be HOUR, DAY or MONTH.",
            reason=INVALID_RANGE,
        )
    start, end = _utc(start), _utc(end)
    if start >= end:
        raise GatehouseError(
            ErrorCode.BAD_USER_INPUT, "from must be before to.", reason=INVALID_RANGE
        )
    wanted = UsageRange(granularity, bucket_start(start, granularity), end)
    limit = MAX_BUCKETS[granularity]
    if wanted.buckets() > limit:
        raise GatehouseError(
            ErrorCode.BAD_USER_INPUT,
            f"The range holds {wanted.buckets()} buckets of {granularity.lower()}; "
            f"at most {limit} may be asked for at once.",
            reason=RANGE_TOO_LONG,
            extensions={"maxBuckets": limit},
        )
    return wanted


def series_query(
    wanted: UsageRange, group_by: list[str], api_key_id: int | None = None
) -> SeriesQuery:
    return SeriesQuery(
        granularity=wanted.granularity,
        start=wanted.start,
        end=wanted.end,
        api_key_id=api_key_id,
        by_operation=OPERATION in group_by,
        by_outcome=OUTCOME in group_by,
    )


async def usage_series(query: SeriesQuery) -> AsyncIterator[SeriesRow]:
    """The series, oldest first. Without a dimension every bucket of the range is there,
    those without calls as 0 (as `usage(days)`); grouped, only the groups that had calls.
    Streamed from the database in batches: never held whole."""
    rows = series_rows(query)
    if query.by_operation or query.by_outcome:
        async for row in rows:
            yield row
        return
    moment = query.start
    async for row in rows:
        while moment < row.start:
            yield SeriesRow(moment, None, None, 0)
            moment = next_bucket(moment, query.granularity)
        yield row
        moment = next_bucket(row.start, query.granularity)
    while moment < query.end:
        yield SeriesRow(moment, None, None, 0)
        moment = next_bucket(moment, query.granularity)


async def list_series(query: SeriesQuery) -> list[SeriesRow]:
    return [row async for row in usage_series(query)]


def check_top_keys_first(first: int) -> None:
    if not 1 <= first <= MAX_TOP_KEYS:
        raise GatehouseError(
            ErrorCode.BAD_USER_INPUT,
            f"first must be between 1 and {MAX_TOP_KEYS}.",
            reason=INVALID_RANGE,
        )


async def busiest_keys(start: datetime, end: datetime, first: int) -> list[KeyTotal]:
    check_top_keys_first(first)
    # Whole hours for up to three days (the hourly rows are kept 14 days by default),
    # whole UTC days beyond.
    granularity = HOUR if _utc(end) - _utc(start) <= timedelta(days=3) else DAY
    wanted = usage_range(start, end, granularity)
    return await top_keys(granularity, wanted.start, wanted.end, first)


def may_read_usage(actor: object) -> None:
    """The permission of `usageSeries` (that of `keyMetrics`) for callers outside GraphQL
    (the CSV export): any role, and the READ scope for an API key."""
    if not isinstance(actor, Principal):
        raise unauthenticated()
    if actor.role not in USAGE_READERS:
        raise forbidden()
    if not actor.holds(Scope.READ):
        raise MissingScopeError(Scope.READ.value)


async def existing_key_id(api_key_id: int | None) -> int:
    if api_key_id is None or not await ApiKey.exists(id=api_key_id):
        raise not_found("API key")
    return api_key_id
