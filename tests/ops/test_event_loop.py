"""The server's loop accepts many waiting connections on a turn (gatehouse.event_loop):
uvloop alone accepts one per turn, so a burst of new clients waits behind a busy loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from typing import Any

import pytest
import uvloop

from gatehouse.event_loop import AcceptingLoop

CLIENTS = 20


class Counting(asyncio.Protocol):
    made: list[asyncio.BaseTransport]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made.append(transport)


def run(loop: asyncio.AbstractEventLoop, main: Coroutine[Any, Any, int]) -> int:
    try:
        return loop.run_until_complete(main)
    finally:
        loop.close()


async def turns_until_all_connected() -> int:
    """Turns of the loop from CLIENTS connections waiting to all of them made."""
    loop = asyncio.get_running_loop()
    made: list[asyncio.BaseTransport] = []
    protocol = type("Protocol", (Counting,), {"made": made})
    listening = socket.create_server(("127.0.0.1", 0), backlog=100)
    server = await loop.create_server(protocol, sock=listening)
    port = listening.getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(CLIENTS)]
    turns = 0
    try:
        while len(made) < CLIENTS and turns < 10 * CLIENTS:
            await asyncio.sleep(0)
            turns += 1
        return turns
    finally:
        for client in clients:
            client.close()
        server.close()
        await server.wait_closed()
        listening.close()


def test_every_waiting_connection_is_accepted_within_a_few_turns() -> None:
    assert run(AcceptingLoop(), turns_until_all_connected()) <= 3


def test_uvloop_alone_accepts_one_connection_per_turn() -> None:
    # Why the loop above exists: should uvloop start accepting in batches, it can go.
    assert run(uvloop.new_event_loop(), turns_until_all_connected()) >= CLIENTS - 1


def test_a_closed_server_stops_listening() -> None:
    async def main() -> int:
        loop = asyncio.get_running_loop()
        listening = socket.create_server(("127.0.0.1", 0))
        server = await loop.create_server(asyncio.Protocol, sock=listening)
        port: int = listening.getsockname()[1]
        # As uvicorn stops: the server, then the socket it was given.
        server.close()
        await server.wait_closed()
        listening.close()
        return port

    port = run(AcceptingLoop(), main())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
