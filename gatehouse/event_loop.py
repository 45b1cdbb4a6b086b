"""The server's event loop: uvloop, accepting many waiting connections on each turn.

libuv, under uvloop, accepts one connection per turn of the loop (since libuv 1.45,
libuv/libuv#3696). A loop kept busy by requests turns slowly, so a burst of new clients
waits in the listen queue while the connections already accepted are served again and
again: 100 connections opened at once against a busy process waited up to 1.2 s for their
first answer, where every later answer took 70 ms. asyncio's own loop accepts up to its
backlog on each turn. This loop accepts up to `HANDING_OVER_AT_MOST` beside uvloop's
server, through a duplicate of the listening descriptor that it stops watching and closes
with the server.

uvicorn takes it as its loop factory (`"loop": LOOP` in `gatehouse.server`), in one
process or in each worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import uvloop

log = logging.getLogger("gatehouse.server")

LOOP = "gatehouse.event_loop:AcceptingLoop"
# At most this many connections accepted and not yet handed to their protocol. Each holds a
# descriptor before `gatehouse.connection_guard` has counted it against MAX_CONNECTIONS, so
# they come out of the descriptors kept for the database and logs (RESERVED_DESCRIPTORS,
# 100). A burst of 100 clients is in within four turns; a flood still leaves each turn to
# the requests in flight (and, with several workers, new clients to an idle one, whose loop
# wakes on them first).
HANDING_OVER_AT_MOST = 32


class AcceptingLoop(uvloop.Loop):
    async def create_server(  # type: ignore[override]
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        host: Any = None,
        port: Any = None,
        *,
        sock: socket.socket | None = None,
        ssl: Any = None,
        **options: Any,
    ) -> asyncio.AbstractServer:
        server: asyncio.AbstractServer = await super().create_server(
            protocol_factory, host, port, sock=sock, ssl=ssl, **options
        )
        if sock is None or ssl is not None:
            return server
        return _AcceptingServer(server, _Acceptor(self, sock, protocol_factory))


class _Acceptor:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        listening: socket.socket,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
    ) -> None:
        self._loop = loop
        self._protocol_factory = protocol_factory
        # Its own descriptor: libuv watches each descriptor once, and uvloop's server
        # keeps watching the original.
        self._socket = socket.socket(fileno=os.dup(listening.fileno()))
        self._socket.setblocking(False)
        self._handing_over: set[Coroutine[Any, Any, Any]] = set()
        loop.add_reader(self._socket.fileno(), self._accept_waiting)

    def _accept_waiting(self) -> None:
        for _ in range(HANDING_OVER_AT_MOST - len(self._handing_over)):
            try:
                connection, _ = self._socket.accept()
            except (BlockingIOError, InterruptedError):
                return  # uvloop's server took the rest, or there was none
            except ConnectionAbortedError:
                continue
            except OSError:
                # Out of descriptors: uvloop's own accept sheds the load.
                return
            connection.setblocking(False)
            if _closed_unused(connection):
                # Never used: a client's check that the port answers (wrk makes one
                # before its run). Taken, it would hold a place under the per-address cap
                # until a later turn read its close.
                connection.close()
                continue
            self._step(self._loop.connect_accepted_socket(self._protocol_factory, connection))

    def _step(self, handing_over: Coroutine[Any, Any, Any]) -> None:
        """`connect_accepted_socket` makes the transport at once, then waits for the
        protocol's `connection_made`, which uvloop calls on the next turn. Stepped here
        rather than in a task, which would start it a turn later, these connections reach
        their protocol in the order they were accepted, as do those uvloop's server took:
        the first ones under a cap are the ones kept."""
        try:
            waiting = handing_over.send(None)
        except StopIteration:
            self._handing_over.discard(handing_over)
            return
        except Exception as exc:  # noqa: BLE001 - one connection lost, never the acceptor
            self._handing_over.discard(handing_over)
            log.warning("could not take an accepted connection: %r", exc)
            return
        self._handing_over.add(handing_over)
        waiting.add_done_callback(lambda _: self._step(handing_over))

    def close(self) -> None:
        if self._socket.fileno() != -1:
            self._loop.remove_reader(self._socket.fileno())
            self._socket.close()


def _closed_unused(connection: socket.socket) -> bool:
    try:
        return not connection.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return False  # open, its request not here yet
    except OSError:
        return True  # reset


class _AcceptingServer(asyncio.AbstractServer):
    """uvloop's server, which also stops the acceptor when it closes: the duplicate
    descriptor would otherwise keep the port listening."""

    def __init__(self, server: asyncio.AbstractServer, acceptor: _Acceptor) -> None:
        self._server = server
        self._acceptor = acceptor

    def close(self) -> None:
        self._acceptor.close()
        self._server.close()

    async def wait_closed(self) -> None:
        await self._server.wait_closed()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._server.get_loop()

    def is_serving(self) -> bool:
        return self._server.is_serving()

    async def start_serving(self) -> None:
        await self._server.start_serving()

    async def serve_forever(self) -> None:
        await self._server.serve_forever()

    @property
    def sockets(self) -> Any:
        return getattr(self._server, "sockets", ())
