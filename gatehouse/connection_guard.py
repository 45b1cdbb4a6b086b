"""Bounds on connections, enforced where uvicorn accepts them.

uvicorn (0.54, httptools) has no header-read timeout: a client that sends half its
headers and then nothing holds its socket for ever, and enough of them exhaust the
process's file descriptors until even `/healthz` cannot be accepted. Its
`limit_concurrency` does not help: it answers 503 only once headers are complete. So the
protocol itself is subclassed:

- a connection whose request headers are not complete within `HEADER_TIMEOUT_SECONDS` of
  its first byte (or of connecting) is closed;
- one client address holds at most `MAX_CONNECTIONS_PER_ADDRESS` connections (proxies in
  `TRUSTED_PROXIES` are exempt: every client arrives through them);
- the process holds at most `MAX_CONNECTIONS`, below its descriptor limit; at that cap a
  new connection closes the oldest one still sending its headers, so a flood of
  half-sent requests never locks out a probe or a real client;
- a WebSocket (subscriptions) keeps counting against both caps while it is open
  (`holding_websocket`); over them its handshake is refused (403).

Refusals are logged as one line per reason at most every `LOG_EVERY_SECONDS`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.config import RESERVED_DESCRIPTORS, Settings, descriptor_limit

log = logging.getLogger("gatehouse.connections")

LOG_EVERY_SECONDS = 60.0
PROTOCOL = "gatehouse.connection_guard:GuardedHttpToolsProtocol"


def default_max_connections() -> int:
    return max(descriptor_limit() - RESERVED_DESCRIPTORS, 16)


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout_seconds: float = 10.0
    per_address: int = 100
    total: int = 1024
    exempt: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def is_exempt(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.exempt)


class _Refusals:
    """Counts refusals per reason and logs each reason at most once a minute."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._logged_at: dict[str, float] = {}

    def note(self, reason: str, message: str) -> None:
        """`reason`: one of a few fixed names, so an attack from many addresses neither
        floods the log nor grows these counters."""
        self._counts[reason] += 1
        now = time.monotonic()
        if now - self._logged_at.get(reason, -LOG_EVERY_SECONDS) >= LOG_EVERY_SECONDS:
            log.warning("%s (%d since the last such line)", message, self._counts.pop(reason))
            self._logged_at[reason] = now


class _Registry:
    def __init__(self) -> None:
        self.limits = ConnectionLimits()
        self.per_address: Counter[str] = Counter()
        self.total = 0
        # Insertion-ordered: the first is the one that has waited longest for its headers.
        self.awaiting_headers: dict[GuardedHttpToolsProtocol, None] = {}
        self.refusals = _Refusals()


_registry = _Registry()


def configure(settings: Settings) -> None:
    """Called by `create_app` alone. Module state, unlike the rest of the process's
    (auth/runtime.py): uvicorn makes the protocol from its import path, with no way to hand
    it an object."""
    connections = settings.connections
    _registry.limits = ConnectionLimits(
        header_timeout_seconds=connections.header_timeout_seconds,
        per_address=connections.max_per_address,
        total=connections.max_total or default_max_connections(),
        exempt=tuple(ipaddress.ip_network(n) for n in connections.trusted_proxies),
    )


@contextmanager
def holding_websocket(address: str) -> Iterator[bool]:
    """A WebSocket counts against the same caps for as long as it is open: the HTTP
    connection it upgraded from gave its place up at the upgrade (uvicorn hands the socket
    to another protocol, which this one never sees close). False when over a cap: the
    caller refuses the handshake."""
    limits = _registry.limits
    over_address = _registry.per_address[address] >= limits.per_address and not (
        limits.is_exempt(address)
    )
    if over_address or _registry.total >= limits.total:
        _registry.refusals.note(
            "websocket",
            f"refused WebSockets from {address}: MAX_CONNECTIONS_PER_ADDRESS or "
            "MAX_CONNECTIONS reached",
        )
        yield False
        return
    _registry.total += 1
    _registry.per_address[address] += 1
    try:
        yield True
    finally:
        _registry.total -= 1
        _registry.per_address[address] -= 1
        if _registry.per_address[address] <= 0:
            del _registry.per_address[address]


def open_connections() -> int:
    return _registry.total


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    _address = ""
    _admitted = False
    _header_timer: asyncio.TimerHandle | None = None
    # From a request's first byte (or the connection's start) until its headers are read.
    _awaiting_headers = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._address = self.client[0] if self.client else ""
        limits = _registry.limits
        if _registry.per_address[self._address] >= limits.per_address and not limits.is_exempt(
            self._address
        ):
            _registry.refusals.note(
                "per-address",
                f"refused connections from {self._address}: it already holds "
                f"MAX_CONNECTIONS_PER_ADDRESS={limits.per_address}",
            )
            transport.close()
            return
        if _registry.total >= limits.total:
            oldest = next(iter(_registry.awaiting_headers), None)
            if oldest is None:
                _registry.refusals.note(
                    "total",
                    f"refused connections: the process holds MAX_CONNECTIONS={limits.total}",
                )
                transport.close()
                return
            _registry.refusals.note(
                "evicted",
                f"closed the connections waiting longest for their headers: the process "
                f"holds MAX_CONNECTIONS={limits.total}",
            )
            oldest.close_unfinished()
        self._admitted = True
        _registry.total += 1
        _registry.per_address[self._address] += 1
        self._await_headers()

    def eof_received(self) -> None:
        # The client has closed its side: its place goes now, while the event that said so
        # is read, not on a later turn when the transport reports the close. A client that
        # closes its connections and opens as many again at once is not refused.
        self._release()
        super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        # The transport moves to another protocol, and this one never sees it close.
        self._release()
        super().handle_websocket_upgrade()

    def _release(self) -> None:
        self._headers_arrived()
        if self._admitted:
            self._admitted = False
            _registry.total -= 1
            _registry.per_address[self._address] -= 1
            if _registry.per_address[self._address] <= 0:
                del _registry.per_address[self._address]

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # A request begun in these bytes nearly always has all its headers in them too:
        # its timer is armed only when they are still unfinished, not armed and cancelled
        # again for every request.
        if self._awaiting_headers and self._header_timer is None:
            self._arm_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # The next request on a kept-alive connection: its headers are timed afresh.
        if not self._awaiting_headers:
            self._awaiting_headers = True
            _registry.awaiting_headers[self] = None

    def on_headers_complete(self) -> None:
        self._headers_arrived()
        super().on_headers_complete()

    def close_unfinished(self) -> None:
        # Released now, not when the transport reports the close on a later turn of the
        # loop: a burst of connections must not each count the same departing one.
        self._release()
        self.transport.close()

    def _await_headers(self) -> None:
        self._awaiting_headers = True
        _registry.awaiting_headers[self] = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(
            _registry.limits.header_timeout_seconds, self._headers_too_slow
        )

    def _headers_arrived(self) -> None:
        self._awaiting_headers = False
        _registry.awaiting_headers.pop(self, None)
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        _registry.refusals.note(
            "header-timeout",
            f"closed connections whose request headers took over "
            f"HEADER_TIMEOUT_SECONDS={_registry.limits.header_timeout_seconds:g}",
        )
        self.close_unfinished()
