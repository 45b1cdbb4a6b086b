""" "Something changed" signals, from the process that changed it to every process's
subscriptions.

A signal names a topic and a row (`api_key` 12 changed, `calls` of key 12 counted, `user` 3,
`audit`), never the new value:
subscribers read the value again from the database. PostgreSQL's notifications are capped
at 8,000 bytes and lost while a listener is disconnected, and a value carried in a message
could be stale by the time it arrives; a re-read is always current.

Three ways across, picked by the settings (`build_signal_bus`):
- in process (SQLite, which serves one process): published straight to the mailboxes;
- PostgreSQL `LISTEN/NOTIFY` on one dedicated asyncpg connection per process, outside
  Tortoise's pool (`auth.signal_transports.PostgresTransport`);
- Redis pub/sub when `REDIS_URL` is set (`auth.signal_transports.RedisTransport`).
Across processes a process hears its own signals back through the transport, so every
subscriber anywhere is woken the same way. After an outage the listener reconnects and
sends everyone `RESYNC`: what changed meanwhile is unknown, so everything is read again.

`publish` never waits and never fails: a change already committed must not turn into an
error because a dashboard could not be told.

Listeners (`listen`) hear every signal synchronously: those this process publishes at the
moment it publishes them, before any transport's round trip, and those that arrive. The
verification cache (`auth.key_cache`) forgets with them, so the process that made a change
never answers from before it, even for the instant its own notification is on the way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("gatehouse.signals")

API_KEY = "api_key"
# A key's calls were counted: its figures changed, not its credential (no re-check).
CALLS = "calls"
USER = "user"
# A service account changed (roles, status) or was deleted: its keys' credentials re-check.
SERVICE_ACCOUNT = "service_account"
SESSION = "session"
AUDIT = "audit"
# Everything may have changed (a listener came back after an outage).
EVERYTHING = "*"
# The server is stopping: subscriptions end.
STOPPING = "stop"

# A mailbox that falls this far behind stops keeping names and reads everything again.
MAILBOX_LIMIT = 1000


@dataclass(frozen=True)
class Signal:
    topic: str
    id: int | None = None

    def encode(self) -> str:
        return self.topic if self.id is None else f"{self.topic}:{self.id}"

    @classmethod
    def decode(cls, text: str) -> Signal | None:
        topic, _, number = text.partition(":")
        if topic not in _TOPICS:
            return None
        if not number:
            return cls(topic)
        return cls(topic, int(number)) if number.isdigit() else None


_TOPICS = frozenset({API_KEY, CALLS, USER, SERVICE_ACCOUNT, SESSION, AUDIT, EVERYTHING})
RESYNC = Signal(EVERYTHING)


def encode_batch(signals: Iterable[Signal], limit: int = 7000) -> list[str]:
    """Signals joined by spaces into payloads under `limit` bytes (NOTIFY takes 8,000)."""
    payloads: list[str] = []
    current = ""
    for signal in signals:
        text = signal.encode()
        if current and len(current) + 1 + len(text) > limit:
            payloads.append(current)
            current = ""
        current = f"{current} {text}" if current else text
    if current:
        payloads.append(current)
    return payloads


def decode_batch(payload: str) -> list[Signal]:
    return [s for part in payload.split() if (s := Signal.decode(part)) is not None]


def keys_called(key_ids: Iterable[int]) -> list[Signal]:
    return [Signal(CALLS, key_id) for key_id in key_ids]


class Mailbox:
    """One subscription's unread signals, deduplicated, and a wake-up."""

    def __init__(self) -> None:
        self.signals: set[Signal] = set()
        self.arrived = asyncio.Event()
        # When the newest signal arrived (time.monotonic()): a read begun since sees it.
        self.last_at = 0.0

    def put(self, signal: Signal, at: float | None = None) -> None:
        if len(self.signals) >= MAILBOX_LIMIT:
            self.signals = {RESYNC}
        self.signals.add(signal)
        self.last_at = time.monotonic() if at is None else at
        self.arrived.set()

    def take(self) -> set[Signal]:
        signals, self.signals = self.signals, set()
        self.arrived.clear()
        return signals


class Transport(Protocol):
    async def start(self, bus: SignalBus) -> None: ...

    def publish(self, signals: Iterable[Signal]) -> None: ...

    async def close(self) -> None: ...


Listener = Callable[[Signal], None]


class SignalBus:
    def __init__(self, transport: Transport | None = None) -> None:
        self._transport = transport
        self._mailboxes: set[Mailbox] = set()
        self._listeners: list[Listener] = []
        self.stopping = False

    @property
    def crosses_processes(self) -> bool:
        return self._transport is not None

    def open_mailbox(self) -> Mailbox:
        mailbox = Mailbox()
        self._mailboxes.add(mailbox)
        if self.stopping:
            mailbox.put(Signal(STOPPING))
        return mailbox

    def close_mailbox(self, mailbox: Mailbox) -> None:
        self._mailboxes.discard(mailbox)

    def listen(self, listener: Listener) -> None:
        """Call `listener` with every signal published here (at once) or arriving here."""
        self._listeners.append(listener)

    def publish(self, topic: str, pk: int | None = None) -> None:
        self.publish_all([Signal(topic, pk)])

    def publish_all(self, signals: Iterable[Signal]) -> None:
        """Tell every process; returns at once."""
        if self._transport is None:
            for signal in signals:
                self.deliver(signal)
            return
        signals = list(signals)
        # Here before the round trip; heard again when the transport brings them back.
        for signal in signals:
            for listener in self._listeners:
                listener(signal)
        self._transport.publish(signals)

    def deliver(self, signal: Signal) -> None:
        """To this process's listeners and subscriptions (called by the transport as signals
        arrive)."""
        for listener in self._listeners:
            listener(signal)
        at = time.monotonic()
        for mailbox in self._mailboxes:
            mailbox.put(signal, at)

    async def start(self) -> None:
        if self._transport is not None:
            await self._transport.start(self)

    def stop_subscriptions(self) -> None:
        """The server is stopping: every subscription ends at its next turn."""
        self.stopping = True
        for mailbox in self._mailboxes:
            mailbox.put(Signal(STOPPING))

    async def close(self) -> None:
        self.stop_subscriptions()
        if self._transport is not None:
            await self._transport.close()


def build_signal_bus(database_url: str, redis_url: str | None, redis_prefix: str) -> SignalBus:
    """Redis when configured, else PostgreSQL's notifications, else in process (SQLite)."""
    from auth.signal_transports import PostgresTransport, RedisTransport

    if redis_url is not None:
        return SignalBus(RedisTransport(redis_url, f"{redis_prefix}:changes"))
    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return SignalBus(PostgresTransport(database_url))
    return SignalBus()
