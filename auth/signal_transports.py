"""Carrying signals between processes: PostgreSQL LISTEN/NOTIFY or Redis pub/sub.

Each transport keeps one long-lived connection of its own (outside Tortoise's pool and the
limiter's Redis client), sends what was published in batches from one task, and listens
on the same channel. When the connection drops it is made again with a growing pause;
signals published meanwhile wait (deduplicated) and go out once it is back, and this
process's subscribers are sent `RESYNC`, since what others published meanwhile is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import redis.asyncio as aioredis

from auth.signals import RESYNC, Signal, decode_batch, encode_batch

if TYPE_CHECKING:
    from auth.signals import SignalBus

log = logging.getLogger("gatehouse.signals")

CHANNEL = "gatehouse_changes"
# How the listener's connection shows in pg_stat_activity.
APPLICATION_NAME = "gatehouse-signals"
FIRST_PAUSE_SECONDS = 0.2
LONGEST_PAUSE_SECONDS = 5.0
# A connection that stops answering is found within this, and replaced.
PING_SECONDS = 5.0
PENDING_LIMIT = 10_000


class _Carrier:
    """The connection loop shared by both transports: connect, listen, send, reconnect."""

    def __init__(self) -> None:
        self._bus: SignalBus | None = None
        self._pending: set[Signal] = set()
        self._wake = asyncio.Event()
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connected = False

    async def start(self, bus: SignalBus) -> None:
        self._bus = bus
        self._wake = asyncio.Event()
        self._lost = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="signal-transport")

    def publish(self, signals: Iterable[Signal]) -> None:
        if self._task is None:
            return  # not serving (a command): nobody in this process listens
        for signal in signals:
            if len(self._pending) >= PENDING_LIMIT:
                self._pending = {RESYNC}
            self._pending.add(signal)
        self._wake.set()

    def received(self, payload: str) -> None:
        if self._bus is not None:
            for signal in decode_batch(payload):
                self._bus.deliver(signal)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self._disconnect()

    async def _run(self) -> None:
        pause = FIRST_PAUSE_SECONDS
        first = True
        while True:
            try:
                await self._connect()
            except Exception as exc:  # noqa: BLE001 - an outage: try again
                log.warning(
                    "signals: cannot connect (%s); again in %.1f s", type(exc).__name__, pause
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
                continue
            self.connected = True
            pause = FIRST_PAUSE_SECONDS
            if not first:
                log.info("signals: connected again; subscriptions read everything again")
                if self._bus is not None:
                    self._bus.deliver(RESYNC)
            first = False
            try:
                await self._serve()
            except Exception as exc:  # noqa: BLE001 - an outage: reconnect
                log.warning("signals: connection lost (%s)", type(exc).__name__)
            self.connected = False
            await self._disconnect()

    async def _serve(self) -> None:
        self._lost.clear()
        while True:
            woken = await self._wait()
            if self._lost.is_set():
                return
            self._wake.clear()
            if self._pending:
                batch, self._pending = self._pending, set()
                try:
                    for payload in encode_batch(sorted(batch, key=Signal.encode)):
                        await self._send(payload)
                except BaseException:
                    self._pending |= batch
                    raise
            elif not woken:
                await self._ping()

    async def _wait(self) -> bool:
        """Until something is published or the connection is lost; False after a quiet
        PING_SECONDS, when the connection is checked."""
        waits = [
            asyncio.ensure_future(self._wake.wait()),
            asyncio.ensure_future(self._lost.wait()),
        ]
        try:
            done, _ = await asyncio.wait(
                waits, timeout=PING_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiting in waits:
                waiting.cancel()
        return bool(done)

    async def _connect(self) -> None:
        raise NotImplementedError

    async def _send(self, payload: str) -> None:
        raise NotImplementedError

    async def _ping(self) -> None:
        raise NotImplementedError

    async def _disconnect(self) -> None:
        raise NotImplementedError


def asyncpg_dsn(database_url: str) -> str:
    """Tortoise's URL as asyncpg takes it: `postgres://` scheme, no Tortoise parameters."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(scheme="postgresql", query=""))


class PostgresTransport(_Carrier):
    def __init__(self, database_url: str) -> None:
        super().__init__()
        self._dsn = asyncpg_dsn(database_url)
        self._connection: Any = None

    async def _connect(self) -> None:
        async with asyncio.timeout(PING_SECONDS):
            connection = await asyncpg.connect(
                self._dsn, server_settings={"application_name": APPLICATION_NAME}
            )
        self._connection = connection
        await connection.add_listener(CHANNEL, self._on_notification)
        connection.add_termination_listener(lambda _: self._lost.set())

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.received(payload)

    async def _send(self, payload: str) -> None:
        async with asyncio.timeout(PING_SECONDS):
            await self._connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)

    async def _ping(self) -> None:
        async with asyncio.timeout(PING_SECONDS):
            await self._connection.execute("SELECT 1")

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.terminate()


class RedisTransport(_Carrier):
    def __init__(self, redis_url: str, channel: str) -> None:
        super().__init__()
        self._url = redis_url
        self._channel = channel
        self._client: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def _connect(self) -> None:
        client = aioredis.from_url(self._url, socket_connect_timeout=PING_SECONDS)
        self._client = client
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._pubsub = pubsub
        async with asyncio.timeout(PING_SECONDS):
            await pubsub.subscribe(self._channel)
        self._reader = asyncio.create_task(self._read(pubsub), name="signal-redis-reader")

    async def _read(self, pubsub: Any) -> None:
        try:
            while True:
                message = await pubsub.get_message(timeout=PING_SECONDS)
                if message is not None and message.get("type") == "message":
                    data = message["data"]
                    self.received(data.decode() if isinstance(data, bytes) else str(data))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the serving loop reconnects
            self._lost.set()

    async def _send(self, payload: str) -> None:
        async with asyncio.timeout(PING_SECONDS):
            await self._client.publish(self._channel, payload)

    async def _ping(self) -> None:
        async with asyncio.timeout(PING_SECONDS):
            await self._client.ping()

    async def _disconnect(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        pubsub, self._pubsub = self._pubsub, None
        client, self._client = self._client, None
        with contextlib.suppress(Exception):
            if pubsub is not None:
                await pubsub.aclose()
            if client is not None:
                await client.aclose()
