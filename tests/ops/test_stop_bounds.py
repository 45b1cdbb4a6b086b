"""A stop is bounded whatever is stuck: a process is gone within SHUTDOWN_GRACE_SECONDS plus
2 s of SIGTERM, and at once on a second signal, one worker or several.

The elapsed times asserted here are bounds against a hang (the bugs these guard against took
the grace plus 10 to 30 s), with slack for a loaded machine; they are not measurements."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from gatehouse.draining import SECOND_SIGNAL_SECONDS, STOP_SLACK_SECONDS
from tests.support.documents import LOGIN_AS_ADMIN
from tests.support.live_server import ADMIN_PASSWORD, LiveServer, launch
from tests.support.webhook_receiver import SECRET

GRACE_SECONDS = 1.0
LOADED_MACHINE_SLACK = 3.0
CREATE_KEY = 'mutation { createApiKey(input: {name: "stuck", scopes: [READ]}) { secret } }'
HALF_A_BODY = (
    b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 100\r\n\r\n{"query": "{ __typ'
)


def new_key(base: str) -> str:
    token = httpx.post(f"{base}/graphql", json={"query": LOGIN_AS_ADMIN % ADMIN_PASSWORD}).json()
    bearer = {"Authorization": f"Bearer {token['data']['login']['token']}"}
    created = httpx.post(f"{base}/graphql", json={"query": CREATE_KEY}, headers=bearer).json()
    secret: str = created["data"]["createApiKey"]["secret"]
    return secret


def key_call_in_background(base: str, key: str) -> threading.Thread:
    def call() -> None:
        # Cut by the stop: what these tests want.
        with contextlib.suppress(httpx.TransportError):
            httpx.post(
                f"{base}/graphql",
                json={"query": "{ me { id } }"},
                headers={"X-API-Key": key},
                timeout=60,
            )

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    time.sleep(1.0)  # long enough for the call to reach the database and wait on the lock
    return thread


def seconds_to_stop(server: LiveServer, *signals_after: float) -> float:
    """Sends SIGTERM, then one more SIGTERM after each of `signals_after` seconds; the time
    from the first signal to the process's exit."""
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    for delay in signals_after:
        time.sleep(delay)
        server.process.send_signal(signal.SIGTERM)
    server.output += server.process.communicate(timeout=120)[0]
    return time.monotonic() - started


@contextmanager
def collector_that_never_answers() -> Iterator[str]:
    """A port that accepts connections (the kernel does) and never answers a byte."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(64)
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"


def test_a_key_call_stuck_on_a_locked_sqlite_database_does_not_hold_the_stop(
    tmp_path: Path,
) -> None:
    database = tmp_path / "db.sqlite3"
    # A lock that outlasts any grace: the call waits on it for 60 s.
    server = launch(
        f"sqlite://{database}?busy_timeout=60000",
        tmp_path,
        SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS),
    )
    server.wait_ready()
    key = new_key(server.base)
    with closing(sqlite3.connect(database, isolation_level=None)) as other_process:
        other_process.execute("BEGIN IMMEDIATE")  # holds the one write lock
        key_call_in_background(server.base, key)

        elapsed = seconds_to_stop(server)

    assert elapsed < GRACE_SECONDS + STOP_SLACK_SECONDS + LOADED_MACHINE_SLACK, server.output
    assert server.process.returncode == 0
    assert "cutting 1 request(s)" in server.output


def test_a_stuck_upload_a_dead_collector_and_a_silent_receiver_do_not_hold_the_stop(
    tmp_path: Path,
) -> None:
    with collector_that_never_answers() as nobody:
        server = launch(
            f"sqlite://{tmp_path}/db.sqlite3",
            tmp_path,
            SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS),
            OTEL_EXPORTER_OTLP_ENDPOINT=nobody,
            WEBHOOK_URL=f"{nobody}/hooks",
            WEBHOOK_SECRET=SECRET,
        )
        server.wait_ready()
        new_key(server.base)  # a key.created event, which the sender is stuck sending
        for _ in range(5):  # spans waiting for the collector
            httpx.post(f"{server.base}/graphql", json={"query": "{ __typename }"})
        host, port = server.base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=60) as slow:
            slow.sendall(HALF_A_BODY)
            time.sleep(1.5)

            elapsed = seconds_to_stop(server)

    assert elapsed < GRACE_SECONDS + STOP_SLACK_SECONDS + LOADED_MACHINE_SLACK, server.output
    assert server.process.returncode == 0
    assert "stopped the webhook sender in the middle of a delivery" in server.output
    assert "Traceback" not in server.output


async def test_a_key_call_waiting_on_a_postgres_row_lock_does_not_hold_the_stop(
    postgres_database: str, tmp_path: Path
) -> None:
    server = launch(postgres_database, tmp_path, SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS))
    await asyncio.to_thread(server.wait_ready)
    key = await asyncio.to_thread(new_key, server.base)
    holder = await asyncpg.connect(postgres_database.replace("postgres://", "postgresql://", 1))
    try:
        async with holder.transaction():
            await holder.execute("SELECT * FROM api_keys FOR UPDATE")
            await asyncio.to_thread(key_call_in_background, server.base, key)

            elapsed = await asyncio.to_thread(seconds_to_stop, server)
    finally:
        await holder.close()

    assert elapsed < GRACE_SECONDS + STOP_SLACK_SECONDS + LOADED_MACHINE_SLACK, server.output
    assert server.process.returncode == 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_second_sigterm_stops_at_once(
    postgres_database: str, tmp_path: Path, workers: str
) -> None:
    long_grace = 60.0
    server = launch(
        postgres_database, tmp_path, WORKERS=workers, SHUTDOWN_GRACE_SECONDS=str(long_grace)
    )
    server.wait_ready()
    host, port = server.base.removeprefix("http://").split(":")
    # Slow uploads to every worker the kernel picks: each would hold its worker the grace.
    slow = [socket.create_connection((host, int(port)), timeout=90) for _ in range(6)]
    try:
        for connection in slow:
            connection.sendall(HALF_A_BODY)
        time.sleep(0.5)

        elapsed = seconds_to_stop(server, 1.0)
    finally:
        for connection in slow:
            connection.close()

    assert elapsed < 1.0 + SECOND_SIGNAL_SECONDS + LOADED_MACHINE_SLACK + 1, server.output
    assert "second signal" in server.output
