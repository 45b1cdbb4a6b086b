"""The key cache of one process is cleared by a change another process publishes, through
each transport (PostgreSQL LISTEN/NOTIFY, Redis pub/sub), with its age out of the way: the
cache here keeps entries for a minute, so only the signal can clear it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import pytest

from auth import signals
from auth.key_cache import KeyCache
from auth.signal_transports import PostgresTransport, RedisTransport
from auth.signals import SignalBus, Transport
from auth.tokens import hash_secret
from core.clock import utcnow
from tests.support.factories import make_api_key, make_user
from tests.support.limiter import (
    REDIS_URL,
    forget_redis_prefix,
    require_redis,
    unique_redis_prefix,
)
from tests.support.live_server import postgres_base_url

MakeTransport = Callable[[], Transport]


@pytest.fixture(params=["postgres", "redis"])
async def make_transport(request: pytest.FixtureRequest) -> AsyncIterator[MakeTransport]:
    """Transports of "two processes" on one channel (skipped, saying so, without the
    server)."""
    if request.param == "postgres":
        url = postgres_base_url("PostgreSQL LISTEN/NOTIFY NOT TESTED")
        yield lambda: PostgresTransport(url)
        return
    require_redis()
    prefix = unique_redis_prefix()
    yield lambda: RedisTransport(REDIS_URL, f"{prefix}:changes")
    forget_redis_prefix(prefix)


async def _connected(bus: SignalBus, transport: Transport) -> None:
    await bus.start()
    for _ in range(1000):
        if getattr(transport, "connected", False):
            return
        await asyncio.sleep(0.01)
    pytest.fail("the transport did not connect within 10 s")


async def test_a_change_published_by_another_process_clears_the_cache(
    db: None, make_transport: MakeTransport
) -> None:
    changing, verifying = make_transport(), make_transport()
    changing_bus, verifying_bus = SignalBus(changing), SignalBus(verifying)
    cache = KeyCache(max_age=60)
    verifying_bus.listen(cache.hear)
    cleared = asyncio.Event()
    # Heard after the cache's own listener: set once the cache is empty.
    verifying_bus.listen(lambda _: None if len(cache) else cleared.set())
    try:
        await _connected(changing_bus, changing)
        await _connected(verifying_bus, verifying)
        _, secret = await make_api_key(await make_user())
        await cache.find_key(hash_secret(secret), utcnow())
        counted_only = len(cache)
        changing_bus.publish_all(signals.keys_called([1]))
        await asyncio.sleep(0.2)
        after_calls = len(cache)

        published_at = time.monotonic()
        changing_bus.publish(signals.API_KEY, 1)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(cleared.wait(), 1)
        seconds = time.monotonic() - published_at
    finally:
        await changing_bus.close()
        await verifying_bus.close()

    assert (counted_only, after_calls) == (1, 1)
    assert len(cache) == 0
    print(f"cleared {seconds * 1000:.1f} ms after the other process published")
    assert seconds < 1
