"""A key's credits, spent by one conditional statement in the database.

`spend_credits` is a single UPDATE … WHERE remaining >= cost RETURNING remaining: the
database serialises writers on the row, so however many requests, processes or hosts spend
at once, no credit is spent twice and no spend makes `remaining` negative (80 verifications
of a key with 50 credits: exactly 50 succeed). The refill is applied lazily in the same
statement: when the key's refill period has turned since `refilled_at`, the row is set back
to the refill amount and the cost taken from that, in one write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tortoise.connection import get_connection

from core.enums import RefillInterval
from models.api_keys import ApiKey
from models.reads import numbered


def period_start(interval: RefillInterval | str, now: datetime) -> datetime:
    """The start of the refill period `now` is in (UTC day or month)."""
    day = datetime(now.year, now.month, now.day, tzinfo=UTC)
    return day if interval == RefillInterval.DAILY else day.replace(day=1)


def next_refill_at(interval: RefillInterval | str, now: datetime) -> datetime:
    start = period_start(interval, now)
    if interval == RefillInterval.DAILY:
        return start + timedelta(days=1)
    return (start + timedelta(days=32)).replace(day=1)


class Credits(Protocol):
    """A key's credit columns: a model instance, or a plain row of the credential path."""

    @property
    def remaining(self) -> int | None: ...
    @property
    def refill_amount(self) -> int | None: ...
    @property
    def refill_interval(self) -> str | None: ...
    @property
    def refilled_at(self) -> datetime | None: ...


def refill_due(api_key: Credits, now: datetime) -> bool:
    if api_key.refill_amount is None or api_key.refill_interval is None:
        return False
    refilled_at = api_key.refilled_at
    return refilled_at is None or refilled_at < period_start(api_key.refill_interval, now)


def credits_left(api_key: Credits, now: datetime) -> int | None:
    """The credits the key has now, its refill counted; None is unlimited."""
    if api_key.remaining is None:
        return None
    if refill_due(api_key, now):
        return int(api_key.refill_amount or 0)
    return int(api_key.remaining)


# Each parameter compared with the column itself, so PostgreSQL infers its type.
_DUE = (
    "(refill_amount IS NOT NULL AND (refilled_at IS NULL"
    " OR (refill_interval = 'DAILY' AND refilled_at < ?)"
    " OR (refill_interval = 'MONTHLY' AND refilled_at < ?)))"
)
# The parameters, in order: cost, day start, month start (SET remaining); day start, month
# start, now (SET refilled_at); id; day start, month start, cost (WHERE).
_SPEND = (
    "UPDATE api_keys SET "  # noqa: S608 - no value is formatted into the text
    f"remaining = CASE WHEN {_DUE} THEN refill_amount ELSE remaining END - ?, "
    f"refilled_at = CASE WHEN {_DUE} THEN ? ELSE refilled_at END "
    "WHERE id = ? AND remaining IS NOT NULL "
    f"AND (CASE WHEN {_DUE} THEN refill_amount ELSE remaining END) >= ? "
    f"AND (CASE WHEN {_DUE} THEN refill_amount ELSE remaining END) > 0 "
    "RETURNING remaining"
)
_SQL = {"sqlite": _SPEND, "postgres": numbered(_SPEND)}
_DATETIME = ApiKey._meta.fields_map["refilled_at"]


@dataclass(frozen=True)
class Spend:
    spent: bool
    remaining: int  # after the spend; unchanged when refused


async def spend_credits(key_id: int, cost: int, now: datetime) -> Spend | None:
    """Take `cost` credits from the key, its due refill first. None for a key with
    unlimited credits (nothing written). A key with no credit left refuses even a cost of
    0: `remaining` 0 is USAGE_EXCEEDED."""
    connection = get_connection("default")
    day = _DATETIME.to_db_value(period_start(RefillInterval.DAILY, now), ApiKey)
    month = _DATETIME.to_db_value(period_start(RefillInterval.MONTHLY, now), ApiKey)
    at = _DATETIME.to_db_value(now, ApiKey)
    parameters = [day, month, cost, day, month, at, key_id, day, month, cost, day, month]
    rows = await connection.execute_query_dict(_SQL[connection.capabilities.dialect], parameters)
    if rows:
        return Spend(spent=True, remaining=int(rows[0]["remaining"]))
    api_key = await ApiKey.get_or_none(id=key_id)
    left = None if api_key is None else credits_left(api_key, now)
    return None if left is None else Spend(spent=False, remaining=left)
