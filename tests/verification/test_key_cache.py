"""The verifications' key cache (auth.key_cache) on its own, over real rows: what it keeps,
for how long, and what clears it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest

from auth import signals
from auth.key_cache import MAX_AGE, KeyCache
from auth.principal import Principal
from auth.runtime import build_runtime
from auth.signals import Signal, SignalBus
from auth.tokens import hash_secret
from core.clock import utcnow
from models import ApiKey, User
from resolvers.key_changes import roll_key
from tests.support.database import SETTINGS
from tests.support.factories import make_api_key, make_user


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def owner(db: None) -> User:
    return await make_user()


async def _revoke_behind_the_cache(key: ApiKey) -> None:
    """A change that publishes nothing, as raw SQL or another process without signals."""
    await ApiKey.filter(id=key.id).update(revoked_at=utcnow())


async def test_a_found_key_is_answered_from_the_cache_until_max_age(owner: User) -> None:
    clock = Clock()
    cache = KeyCache(clock=clock)
    key, secret = await make_api_key(owner)
    secret_hash = hash_secret(secret)

    first = await cache.find_key(secret_hash, utcnow())
    await _revoke_behind_the_cache(key)
    clock.now += MAX_AGE
    at_max_age = await cache.find_key(secret_hash, utcnow())
    clock.now += 0.001
    after_max_age = await cache.find_key(secret_hash, utcnow())

    assert first is not None
    assert at_max_age is first
    assert after_max_age is not None
    assert after_max_age.key.revoked_at is not None


async def test_a_read_begun_before_a_clear_is_not_kept(owner: User) -> None:
    cache = KeyCache()
    _, secret = await make_api_key(owner)

    reading = asyncio.create_task(cache.find_key(hash_secret(secret), utcnow()))
    await asyncio.sleep(0)  # the read is now waiting for the database
    assert not reading.done()
    cache.hear(Signal(signals.API_KEY, 1))
    found = await reading

    assert found is not None  # the answer itself is given
    assert len(cache) == 0


async def test_a_key_with_credits_is_never_kept(owner: User) -> None:
    cache = KeyCache()
    _, metered = await make_api_key(owner, remaining=10)
    _, unlimited = await make_api_key(owner)

    read = await cache.find_keys([hash_secret(metered), hash_secret(unlimited)], utcnow())

    assert len(read.found) == 2
    assert len(cache) == 1
    assert (await cache.find_key(hash_secret(unlimited), utcnow())) is read.found[
        hash_secret(unlimited)
    ]


async def test_a_key_found_by_the_secret_it_was_rolled_from_is_not_kept(owner: User) -> None:
    cache = KeyCache()
    key, old_secret = await make_api_key(owner)
    rolled = await roll_key(
        Principal(user=owner), key.id, grace_period_seconds=60, max_grace_seconds=3600
    )

    by_old_secret = await cache.find_key(hash_secret(old_secret), utcnow())
    kept_after_old = len(cache)
    by_new_secret = await cache.find_key(hash_secret(rolled.secret), utcnow())

    assert by_old_secret is not None
    assert by_new_secret is not None
    assert by_old_secret.key.id == by_new_secret.key.id == key.id
    assert kept_after_old == 0
    assert len(cache) == 1


async def test_an_unknown_secret_is_not_kept(owner: User) -> None:
    cache = KeyCache()

    read = await cache.find_keys([hash_secret("gk_" + "x" * 40)], utcnow())

    assert read.found == {}
    assert len(cache) == 0


async def test_the_cache_keeps_at_most_max_entries_dropping_the_oldest(owner: User) -> None:
    cache = KeyCache(max_entries=2)
    secrets = [(await make_api_key(owner, name=f"key {n}"))[1] for n in range(3)]

    for secret in secrets:
        await cache.find_key(hash_secret(secret), utcnow())

    assert [hash_secret(secret) in cache for secret in secrets] == [False, True, True]


@pytest.mark.parametrize("topic", [signals.CALLS, signals.AUDIT])
async def test_calls_and_audit_signals_leave_the_cache_alone(owner: User, topic: str) -> None:
    cache = KeyCache()
    _, secret = await make_api_key(owner)
    await cache.find_key(hash_secret(secret), utcnow())

    cache.hear(Signal(topic, 1))

    assert len(cache) == 1


@pytest.mark.parametrize(
    "signal",
    [
        Signal(signals.API_KEY, 7),
        Signal(signals.API_KEY),
        Signal(signals.USER, 3),
        Signal(signals.SERVICE_ACCOUNT, 2),
        Signal(signals.SESSION, 9),
        signals.RESYNC,
    ],
)
async def test_every_other_signal_clears_the_cache(owner: User, signal: Signal) -> None:
    cache = KeyCache()
    _, secret = await make_api_key(owner)
    await cache.find_key(hash_secret(secret), utcnow())

    cache.hear(signal)

    assert len(cache) == 0


class HeldTransport:
    """A transport whose messages never arrive: what a process hears before the round
    trip."""

    def __init__(self) -> None:
        self.sent: list[Signal] = []

    async def start(self, bus: SignalBus) -> None:
        pass

    def publish(self, signals: Iterable[Signal]) -> None:
        self.sent.extend(signals)

    async def close(self) -> None:
        pass


async def test_a_cross_process_bus_clears_the_publishers_cache_as_it_publishes(
    owner: User,
) -> None:
    transport = HeldTransport()
    bus = SignalBus(transport)
    cache = KeyCache()
    bus.listen(cache.hear)
    _, secret = await make_api_key(owner)
    await cache.find_key(hash_secret(secret), utcnow())

    bus.publish(signals.API_KEY, 1)

    assert transport.sent == [Signal(signals.API_KEY, 1)]
    assert len(cache) == 0


async def test_the_runtime_clears_its_key_cache_with_its_signals(owner: User) -> None:
    runtime = build_runtime(SETTINGS)
    _, secret = await make_api_key(owner)
    await runtime.key_cache.find_key(hash_secret(secret), utcnow())
    runtime.signals.publish_all(signals.keys_called([1, 2]))
    kept_after_calls = len(runtime.key_cache)

    runtime.signals.publish(signals.USER, owner.id)

    assert kept_after_calls == 1
    assert len(runtime.key_cache) == 0
    await runtime.close()
