"""The limiter's storage, shared by every server process, and the per-key call limit.

Counters live in Redis when `REDIS_URL` is set (the `limits` library's async Redis storage,
which increments and sets the expiry in one Lua script), else in the database table
`rate_limit_counters` through `DatabaseStorage`, which implements the same `limits`
storage interface with the same fixed-window semantics. Everything above this module
(`FixedWindowRateLimiter`, the login throttle) sees only that interface.

Call these functions outside a database transaction: a refused or failed attempt must stay
counted when the caller's transaction rolls back.

While Redis does not answer, the two uses part ways. The sign-in throttle fails closed
(`login` answers INTERNAL/503): letting guesses through uncounted is the worse outcome.
Per-key call limits carry on in the database table, with a warning line at most once a
minute: a key stays limited (in a fresh window) and key calls, which need nothing else from
Redis, keep working. Redis is tried again `REDIS_RETRY_SECONDS` after each failure, so an
outage costs one timeout per process per interval, not one per call.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from tortoise.exceptions import BaseORMException

from core.clock import utcnow
from core.config import LimiterSettings, Settings
from models.rate_limits import (
    delete_counter,
    delete_every_counter,
    delete_expired_counters,
    increment_counter,
    read_counter,
)

log = logging.getLogger("gatehouse.rate_limits")

REDIS_TIMEOUT_SECONDS = 2.0
REDIS_RETRY_SECONDS = 5.0
FALLBACK_LOG_SECONDS = 60.0


def now() -> float:
    """Seconds since the epoch on the injectable clock (time-machine moves it in tests)."""
    return utcnow().timestamp()


class DatabaseStorage(Storage):
    """`limits` storage over the `rate_limit_counters` table: one atomic upsert per hit."""

    STORAGE_SCHEME = None  # made here, never from a URI

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return BaseORMException

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return await increment_counter(key, expiry, amount, now())

    async def get(self, key: str) -> int:
        hits, _ = await read_counter(key, now())
        return hits

    async def get_expiry(self, key: str) -> float:
        _, expires_at = await read_counter(key, now())
        return expires_at

    async def check(self) -> bool:
        try:
            await read_counter("health-check", now())
        except BaseORMException:
            return False
        return True

    async def reset(self) -> int | None:
        return await delete_every_counter()

    async def clear(self, key: str) -> None:
        await delete_counter(key)

    async def prune(self) -> int:
        """Drop ended windows; the table holds only live counters plus what one window adds."""
        return await delete_expired_counters(now())


class _RedisOutage:
    """When Redis was last found out, so that an outage costs one timeout per interval."""

    def __init__(self) -> None:
        self.retry_at = 0.0
        self.logged_at = -FALLBACK_LOG_SECONDS

    def started(self, error: Exception) -> None:
        now_ = time.monotonic()
        self.retry_at = now_ + REDIS_RETRY_SECONDS
        if now_ - self.logged_at >= FALLBACK_LOG_SECONDS:
            self.logged_at = now_
            log.warning(
                "Redis (REDIS_URL) does not answer (%s): key rate limits are counted in the "
                "database until it does; sign-ins fail meanwhile",
                type(error).__name__,
            )


class Limiter:
    """The process's limiter storage (Redis or the database table) and the table it falls
    back to while Redis is out: one per process, held by its `Runtime`."""

    def __init__(self, settings: Settings | LimiterSettings) -> None:
        self.storage: Storage = build_storage(settings)
        self._database_storage = DatabaseStorage()
        self._outage = _RedisOutage()

    async def close(self) -> None:
        await close_storage(self.storage)

    async def prune(self) -> None:
        """Redis expires its own keys; the table is swept of ended windows now and then."""
        if isinstance(self.storage, DatabaseStorage):
            await self.storage.prune()

    async def ready(self) -> bool:
        """False while the limiter's Redis does not answer (the database is checked apart)."""
        if isinstance(self.storage, DatabaseStorage):
            return True
        return await self.storage.check()

    async def seconds_until_key_may_call(self, key_id: int, calls_per_minute: int) -> float | None:
        """Count one call of the key in its one-minute window: None while within the limit,
        else the seconds until the window ends. Counted in the database while Redis is out."""
        window = await self.count_key_call(key_id, calls_per_minute)
        return None if window.allowed else window.reset_at - now()

    async def count_key_call(self, key_id: int, calls_per_minute: int) -> KeyWindow:
        """Count one call of the key in its one-minute window, and the window after it."""
        limit = RateLimitItemPerMinute(calls_per_minute, namespace="api-key")
        storage_now = self.storage
        if not isinstance(storage_now, DatabaseStorage):
            if time.monotonic() < self._outage.retry_at:
                storage_now = self._database_storage
            else:
                try:
                    return await _count_call(storage_now, limit, key_id)
                except storage_now.base_exceptions as exc:
                    self._outage.started(exc)
                    storage_now = self._database_storage
        return await _count_call(storage_now, limit, key_id)


@dataclass(frozen=True)
class KeyWindow:
    """A key's one-minute window after a call was counted in it (or refused by it)."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # seconds since the epoch


def build_storage(settings: Settings | LimiterSettings) -> Storage:
    if settings.redis_url is None:
        return DatabaseStorage()
    # redis-py's client: its incr runs INCRBY and EXPIRE in one script, so a crash can
    # never leave a counter without an expiry (the coredis client sends them apart).
    return RedisStorage(
        f"async+{settings.redis_url}",
        implementation="redispy",
        key_prefix=settings.redis_key_prefix,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


async def close_storage(limiter_storage: Storage) -> None:
    """Close a Redis storage's connections (the database's belong to Tortoise)."""
    client = getattr(getattr(limiter_storage, "bridge", None), "storage", None)
    if client is not None:
        await client.aclose()


async def redis_answers(settings: Settings | LimiterSettings) -> bool:
    """For the start-up check: True when REDIS_URL's server answers a PING."""
    candidate = build_storage(settings)
    try:
        return await candidate.check()
    finally:
        await close_storage(candidate)


async def _count_call(
    limiter_storage: Storage, limit: RateLimitItemPerMinute, key_id: int
) -> KeyWindow:
    limiter = FixedWindowRateLimiter(limiter_storage)
    allowed = await limiter.hit(limit, str(key_id))
    stats = await limiter.get_window_stats(limit, str(key_id))
    return KeyWindow(allowed, limit.amount, max(0, stats.remaining), stats.reset_time)
