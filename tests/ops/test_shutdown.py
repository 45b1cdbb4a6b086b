"""Stopping like production: SIGTERM turns /readyz 503, gives requests in flight a bounded
grace, cuts a client that never finishes its body, closes the database and exits 0."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx

from gatehouse.body_limit import BodySizeLimit
from tests.support.live_server import launch

GRACE_SECONDS = 2
HALF_A_BODY = (
    b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 100\r\n\r\n{"query": "{ __typ'
)


def read_until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received


def test_sigterm_with_a_slow_client_drains_within_the_grace_and_exits_zero(
    tmp_path: Path,
) -> None:
    server = launch(
        f"sqlite://{tmp_path}/db.sqlite3", tmp_path, SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS)
    )
    server.wait_ready()
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as slow:
        slow.sendall(HALF_A_BODY)
        # Answered after the slow request arrived on the same event loop: it is in flight.
        assert httpx.get(f"{server.base}/readyz").status_code == 200

        server.process.send_signal(signal.SIGTERM)
        draining = httpx.get(f"{server.base}/readyz")
        answer = read_until_closed(slow)
        # Bounds a hang (the bug this guards against), not a measurement.
        exit_code = server.stop(timeout=GRACE_SECONDS + 30)

    assert draining.status_code == 503
    assert answer.startswith(b"HTTP/1.1 503")
    assert b'"code":"INTERNAL"' in answer
    assert exit_code == 0, server.output
    assert "cutting 1 request(s)" in server.output
    assert "database closed" in server.output
    assert "Traceback" not in server.output


def test_sigterm_on_an_idle_server_exits_zero(tmp_path: Path) -> None:
    server = launch(f"sqlite://{tmp_path}/db.sqlite3", tmp_path)
    server.wait_ready()

    exit_code = server.stop()

    assert exit_code == 0, server.output
    assert "database closed" in server.output


def test_sigterm_with_several_workers_exits_zero(postgres_database: str, tmp_path: Path) -> None:
    server = launch(postgres_database, tmp_path, WORKERS="2")
    server.wait_ready()

    exit_code = server.stop()

    assert exit_code == 0, server.output
    # uvicorn's line; the workers' own INFO lines depend on their logging set-up.
    assert server.output.count("Application shutdown complete") == 2
    assert "Traceback" not in server.output


async def test_a_body_that_stops_arriving_is_answered_408_and_the_connection_closed() -> None:
    reached_app = False

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal reached_app
        reached_app = True

    sent: list[MutableMapping[str, Any]] = []
    first_chunk_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal first_chunk_sent
        if not first_chunk_sent:
            first_chunk_sent = True
            return {"type": "http.request", "body": b'{"query": ', "more_body": True}
        await asyncio.Event().wait()  # the client never sends the rest
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    limit = BodySizeLimit(app, max_bytes=1024, read_timeout=0.05)
    await limit({"type": "http", "headers": []}, receive, send)

    assert not reached_app
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    assert b"BAD_USER_INPUT" in sent[1]["body"]
