"""WebSockets count against MAX_CONNECTIONS_PER_ADDRESS for as long as they are open."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from websockets.exceptions import InvalidHandshake

from tests.support.live_server import launch, session
from tests.support.paths import ROOT
from tests.support.subscriptions import KEY_METRICS, socket, subscribed

CAP = 3


async def test_open_websockets_hold_their_place_under_the_per_address_cap(
    tmp_path: Path,
) -> None:
    server = launch(
        f"sqlite://{tmp_path}/gatehouse.sqlite3",
        ROOT,
        None,
        MAX_CONNECTIONS_PER_ADDRESS=str(CAP),
    )
    server.wait_ready()
    try:
        token = session(server)
        async with AsyncExitStack() as stack:
            for _ in range(CAP):
                connection = await stack.enter_async_context(
                    subscribed(server.base, token, KEY_METRICS)
                )
                await connection.next_payload("1")
            # The next connection from this address is refused as it connects.
            with pytest.raises(InvalidHandshake):
                async with socket(server.base):
                    pass
        # Closed, they give their places back.
        async with subscribed(server.base, token, KEY_METRICS) as connection:
            assert "keyMetrics" in (await connection.next_payload("1"))["data"]
    finally:
        server.stop()
