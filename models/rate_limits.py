"""Rate-limit counters in the database: what the limiter uses when no Redis is configured.

Each counter is a fixed window that opens at its first hit and lasts `expiry` seconds, the
semantics of the `limits` library's Redis storage. Every change is one atomic statement
(an upsert, or a delete), so several server processes on PostgreSQL never lose or double a
count the way reading a value and writing it back would.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models.conflicts import delete_ended_rows


class RateLimitCounter(Model):
    # Buckets are hashed by the limiter, so no email or address is kept here in clear.
    bucket = fields.CharField(max_length=255, primary_key=True)
    hits = fields.BigIntField(default=0)
    # Seconds since the epoch, as `limits` counts them: one comparison on either database.
    expires_at = fields.FloatField(db_index=True)

    class Meta:
        table = "rate_limit_counters"


_TABLE = RateLimitCounter._meta.db_table

# On conflict, the right-hand sides see the row as it was: a window that has ended starts
# again at `amount`, a live one grows by it. RETURNING hands back the result of this very
# statement, never a later one.
_INCREMENT = f"""
INSERT INTO {_TABLE} (bucket, hits, expires_at) VALUES ({{0}}, {{1}}, {{2}})
ON CONFLICT (bucket) DO UPDATE SET
  hits = CASE WHEN {_TABLE}.expires_at <= {{3}} THEN excluded.hits
              ELSE {_TABLE}.hits + excluded.hits END,
  expires_at = CASE WHEN {_TABLE}.expires_at <= {{3}} THEN excluded.expires_at
                    ELSE {_TABLE}.expires_at END
RETURNING hits
"""  # noqa: S608 - the table name is ours; every value is a bound parameter


def _connection() -> BaseDBAsyncClient:
    return RateLimitCounter._meta.db


def _placeholders(connection: BaseDBAsyncClient, count: int) -> list[str]:
    # Numbered, as `now` is used twice: `$n` on PostgreSQL, `?n` on SQLite.
    mark = "$" if connection.capabilities.dialect == "postgres" else "?"
    return [f"{mark}{number}" for number in range(1, count + 1)]


async def increment_counter(bucket: str, expiry: float, amount: int, now: float) -> int:
    """Add `amount` to the bucket's live window, or open a new window of `expiry` seconds;
    the count after this increment."""
    connection = _connection()
    query = _INCREMENT.format(*_placeholders(connection, 4))
    rows = await connection.execute_query_dict(query, [bucket, amount, now + expiry, now])
    return int(rows[0]["hits"])


async def read_counter(bucket: str, now: float) -> tuple[int, float]:
    """The bucket's count and the end of its window; `(0, now)` when it has none."""
    counter = await RateLimitCounter.get_or_none(bucket=bucket, expires_at__gt=now)
    if counter is None:
        return 0, now
    return counter.hits, counter.expires_at


async def delete_counter(bucket: str) -> None:
    await RateLimitCounter.filter(bucket=bucket).delete()


async def delete_expired_counters(now: float) -> int:
    # Several processes sweep at once, while requests write: only rows nobody holds.
    return await delete_ended_rows(RateLimitCounter, "expires_at", now)


async def delete_every_counter() -> int:
    return await RateLimitCounter.all().delete()
