"""When a subscription sends its value again: at once, then after each change it cares
about, at most one message per `MIN_INTERVAL_SECONDS` (changes meanwhile are coalesced into
the next one); and when its credential ends, an UNAUTHENTICATED error that ends it.

`watch` yields each time the caller should read its value again and send it; it returns
when the server stops (the subscription completes), and raises when the credential ended.
What it yields is a moment (`time.monotonic()`) after which a read sees every change it
answers: subscriptions woken by the same signal share one read of the same value
(`shared_read`), so a hundred dashboards on `keyMetrics` cost one query, not a hundred.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any, TypeVar

from auth import signals
from auth.live_credentials import (
    RECHECK_SECONDS,
    concerns,
    credential_ended,
)
from auth.principal import Principal
from auth.runtime import Runtime
from core import metrics
from models.audit import AuditEvent

MIN_INTERVAL_SECONDS = 1.0

Interest = Callable[[signals.Signal], bool]


def about(topic: str, pk: int | None = None) -> Interest:
    """Signals on `topic` (for `pk` only when given; a row created or deleted names none)."""

    def wanted(signal: signals.Signal) -> bool:
        return signal.topic == topic and (pk is None or signal.id in (pk, None))

    return wanted


def any_of(*interests: Interest) -> Interest:
    return lambda signal: any(interest(signal) for interest in interests)


async def _wait(mailbox: signals.Mailbox, seconds: float) -> None:
    if seconds <= 0 or mailbox.signals:
        return
    try:
        async with asyncio.timeout(seconds):
            await mailbox.arrived.wait()
    except TimeoutError:
        pass


async def watch(
    principal: Principal, runtime: Runtime, interest: Interest, field: str
) -> AsyncIterator[float]:
    limit = runtime.settings.max_subscriptions_per_credential
    with runtime.subscriptions.hold(principal, limit):
        mailbox = runtime.signals.open_mailbox()
        metrics.OPEN_SUBSCRIPTIONS.inc()
        messages = metrics.SUBSCRIPTION_MESSAGES.labels(field)
        try:
            messages.inc()
            # Taken as the value is asked for, not when the next one is: the caller may
            # take its time between the two.
            sent_at = checked_at = time.monotonic()
            yield sent_at
            due = False
            # Spread, so that subscriptions opened together do not all check at once.
            recheck = RECHECK_SECONDS * random.uniform(0.8, 1.2)  # noqa: S311 - not a secret
            while True:
                now = time.monotonic()
                wake_at = checked_at + recheck
                if due:
                    wake_at = min(wake_at, sent_at + MIN_INTERVAL_SECONDS)
                await _wait(mailbox, wake_at - now)
                woken_at = time.monotonic()
                signalled_at = mailbox.last_at
                arrived = mailbox.take()
                if any(signal.topic == signals.STOPPING for signal in arrived):
                    return
                concerned = any(concerns(principal, signal) for signal in arrived)
                if concerned or woken_at - checked_at >= recheck:
                    since = signalled_at if concerned else woken_at - recheck
                    if not await runtime.subscriptions.still_valid(principal, since):
                        raise credential_ended()
                    checked_at = woken_at
                due = due or any(signal == signals.RESYNC or interest(signal) for signal in arrived)
                if due and time.monotonic() - sent_at >= MIN_INTERVAL_SECONDS:
                    due = False
                    messages.inc()
                    sent_at = time.monotonic()
                    yield signalled_at
        finally:
            metrics.OPEN_SUBSCRIPTIONS.dec()
            runtime.signals.close_mailbox(mailbox)


async def latest_audit_event() -> AuditEvent | None:
    return await AuditEvent.all().order_by("-id").first()


async def audit_events_after(last_id: int, limit: int = 100) -> list[AuditEvent]:
    """Events recorded since `last_id`, oldest first; at most `limit` per message burst."""
    return await AuditEvent.filter(id__gt=last_id).order_by("id").limit(limit)


_T = TypeVar("_T")
_reads: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}
SHARED_READ_SECONDS = 10.0


async def shared_read(key: Hashable, fresh_after: float, read: Callable[[], Awaitable[_T]]) -> _T:
    """`read()`'s value, from a read of `key` begun at `fresh_after` or later: one in flight
    or just done is shared by every subscription that asks for the same value."""
    now = time.monotonic()
    loop = asyncio.get_running_loop()
    entry = _reads.get(key)
    if entry is None or entry[0] < fresh_after or entry[1].get_loop() is not loop:
        for old_key, (started, future) in list(_reads.items()):
            if future.done() and now - started > SHARED_READ_SECONDS:
                del _reads[old_key]
        entry = (now, asyncio.ensure_future(read()))
        _reads[key] = entry
    value: _T = await asyncio.shield(entry[1])
    return value
