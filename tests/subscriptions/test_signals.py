"""The signal bus and a subscription's pace, in process on the real database: changes are
coalesced to one message a second, other topics wake nothing, credentials are re-read."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import pytest

from auth import signals
from auth.principal import Principal
from auth.runtime import Runtime, build_runtime
from core.errors import ErrorCode, GatehouseError
from models import Role, UserStatus
from resolvers.live import MIN_INTERVAL_SECONDS, about, shared_read, watch
from tests.support.database import SETTINGS
from tests.support.factories import make_api_key, make_user


@pytest.fixture
def runtime() -> Runtime:
    return build_runtime(dataclasses.replace(SETTINGS, max_subscriptions_per_credential=2))


async def principal() -> Principal:
    return Principal(user=await make_user(roles=(Role.ADMIN,)))


def test_batches_stay_under_the_notification_limit_and_read_back() -> None:
    sent = [signals.Signal(signals.API_KEY, number) for number in range(2000)]
    payloads = signals.encode_batch(sent, limit=1000)
    assert all(len(payload) <= 1000 for payload in payloads)
    assert [s for payload in payloads for s in signals.decode_batch(payload)] == sent


def test_unknown_topics_and_malformed_ids_are_dropped() -> None:
    assert signals.decode_batch("api_key:1 nonsense:2 user:x audit *") == [
        signals.Signal(signals.API_KEY, 1),
        signals.Signal(signals.AUDIT),
        signals.RESYNC,
    ]


def test_a_mailbox_that_falls_behind_reads_everything_again() -> None:
    mailbox = signals.Mailbox()
    for number in range(signals.MAILBOX_LIMIT + 5):
        mailbox.put(signals.Signal(signals.API_KEY, number))
    assert signals.RESYNC in mailbox.take()


async def test_changes_within_a_second_are_coalesced_into_one_message(
    db: None, runtime: Runtime
) -> None:
    stream: AsyncIterator[float] = watch(await principal(), runtime, about(signals.API_KEY), "t")
    await anext(stream)  # the current value, at once
    first_at = time.monotonic()
    for number in range(5):
        runtime.signals.publish(signals.API_KEY, number)
    await anext(stream)
    assert time.monotonic() - first_at >= MIN_INTERVAL_SECONDS - 0.05
    runtime.signals.stop_subscriptions()
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_a_change_after_a_quiet_second_is_sent_at_once(db: None, runtime: Runtime) -> None:
    stream = watch(await principal(), runtime, about(signals.API_KEY, 7), "t")
    await anext(stream)
    await asyncio.sleep(MIN_INTERVAL_SECONDS)
    runtime.signals.publish(signals.API_KEY, 7)
    published_at = time.monotonic()
    await anext(stream)
    assert time.monotonic() - published_at < 0.2
    await stream.aclose()  # type: ignore[attr-defined]


async def test_signals_about_other_rows_wake_no_message(db: None, runtime: Runtime) -> None:
    stream = watch(await principal(), runtime, about(signals.API_KEY, 7), "t")
    await anext(stream)
    runtime.signals.publish(signals.API_KEY, 8)
    runtime.signals.publish(signals.AUDIT)
    runtime.signals.stop_subscriptions()
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_a_deactivated_owner_ends_the_subscription(db: None, runtime: Runtime) -> None:
    caller = await principal()
    owner = caller.user
    assert owner is not None
    stream = watch(caller, runtime, about(signals.API_KEY), "t")
    await anext(stream)
    owner.status = UserStatus.INACTIVE
    await owner.save(update_fields=["status"])
    runtime.signals.publish(signals.USER, owner.id)
    with pytest.raises(GatehouseError) as ended:
        await anext(stream)
    assert ended.value.code == ErrorCode.UNAUTHENTICATED


async def test_a_revoked_key_ends_the_subscription(db: None, runtime: Runtime) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    api_key, _ = await make_api_key(owner)
    stream = watch(Principal(user=owner, api_key=api_key), runtime, about(signals.AUDIT), "t")
    await anext(stream)
    await type(api_key).filter(id=api_key.id).update(revoked_at=api_key.created_at)
    runtime.signals.publish(signals.API_KEY, api_key.id)
    with pytest.raises(GatehouseError) as ended:
        await anext(stream)
    assert ended.value.reason == "CREDENTIAL_ENDED"


async def test_a_credential_holds_at_most_its_cap(db: None, runtime: Runtime) -> None:
    caller = await principal()
    held = [watch(caller, runtime, about(signals.AUDIT), "t") for _ in range(2)]
    for stream in held:
        await anext(stream)
    over = watch(caller, runtime, about(signals.AUDIT), "t")
    with pytest.raises(GatehouseError) as refused:
        await anext(over)
    assert refused.value.code == ErrorCode.RATE_LIMITED
    await held[0].aclose()  # type: ignore[attr-defined]
    again = watch(caller, runtime, about(signals.AUDIT), "t")
    await anext(again)
    assert runtime.subscriptions.total == 2


async def test_subscriptions_woken_by_one_signal_share_one_read() -> None:
    reads = 0

    async def read() -> int:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        return reads

    signalled_at = time.monotonic()
    values = await asyncio.gather(*(shared_read("k", signalled_at, read) for _ in range(20)))
    assert values == [1] * 20
    # A change signalled after that read began needs a read of its own.
    assert await shared_read("k", time.monotonic(), read) == 2
