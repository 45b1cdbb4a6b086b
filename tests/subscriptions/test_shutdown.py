"""SIGTERM ends open subscriptions cleanly, well within the shutdown grace: a WebSocket
subscription completes, an event stream ends, and the process exits 0."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx

from tests.support.live_server import launch, session
from tests.support.paths import ROOT
from tests.support.subscriptions import KEY_METRICS, Closed, bearer, sse_events, subscribed

GRACE_SECONDS = 8


async def test_sigterm_ends_websocket_and_sse_subscriptions_within_the_grace(
    tmp_path: Path,
) -> None:
    server = launch(
        f"sqlite://{tmp_path}/gatehouse.sqlite3", ROOT, SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS)
    )
    server.wait_ready()
    token = session(server)
    sse_started = asyncio.Event()
    sse_events_seen: list[str] = []

    async def follow_sse() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            async for event, _ in sse_events(
                client, server.base, KEY_METRICS, headers=bearer(token)
            ):
                sse_events_seen.append(event)
                sse_started.set()

    try:
        async with subscribed(server.base, token, KEY_METRICS) as connection:
            await connection.next_payload("1")
            follower = asyncio.create_task(follow_sse())
            async with asyncio.timeout(5):
                await sse_started.wait()
            stopped_at = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            ending = await connection.receive(seconds=3)
            assert ending in ({"id": "1", "type": "complete"}, Closed(1012, "")), ending
            async with asyncio.timeout(3):
                await follower
            assert sse_events_seen[-1] == "complete"
        exit_code = await asyncio.to_thread(server.stop, signal.SIGTERM, GRACE_SECONDS + 5)
        assert exit_code == 0
        assert time.monotonic() - stopped_at < GRACE_SECONDS / 2
        # Both are in the request log: the connection as it closed, the stream as it ended.
        assert "WEBSOCKET /graphql 101" in server.output
        assert "operation_name=KeyMetricsLive operation_type=subscription" in server.output
        # The token sent in `connection_init` and in the stream's headers is in no line.
        assert token not in server.output
    finally:
        server.stop()
