"""S6: 200 open subscriptions while key calls run; the delay from a call to its
subscribers' messages (p50/p99).

Ten keys, each with twenty `apiKey(id)` subscriptions of its own on one graphql-transport-ws
connection. While wrk keeps calling with another key (the load), probes call with one of the
ten keys at a time, round robin, each key at most every two seconds (beyond the one-second
coalescing window, so no probe waits for another's message), and time the moment each of
that key's twenty subscribers receives the new `totalCalls`.

Run on its own against a running server: `python -m bench.live URL TOKEN`; `bench.run`
calls `measure_live` beside the other scenarios.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "200"))
PROBES = int(os.environ.get("BENCH_LIVE_PROBES", "40"))
KEYS = 10
PROBE_PAUSE_SECONDS = 0.2
COALESCING_SECONDS = 1.1
SUBSCRIPTION = "subscription S6($id: ID!) { apiKey(id: $id) { totalCalls } }"
CALL = "{ currentApiKey { totalCalls } }"
CREATE_KEY = (
    'mutation { createApiKey(input: {name: "s6", scopes: [READ]}) { secret apiKey { id } } }'
)


class _Subscribers:
    """What each key's subscribers have received: (time, totalCalls) per subscription."""

    def __init__(self) -> None:
        self.received: dict[str, list[tuple[float, int]]] = defaultdict(list)
        self.changed = asyncio.Condition()

    async def read(self, key_id: str, connection: ClientConnection) -> None:
        async for frame in connection:
            message = json.loads(frame)
            if message.get("type") == "ping":
                await connection.send(json.dumps({"type": "pong"}))
            elif message.get("type") == "next":
                calls = message["payload"]["data"]["apiKey"]["totalCalls"]
                async with self.changed:
                    self.received[key_id].append((time.perf_counter(), calls))
                    self.changed.notify_all()

    async def delays(self, key_id: str, calls: int, count: int, since: float) -> list[float]:
        """Once `count` messages of `key_id` show `calls` or more: their delays in ms."""

        def arrived() -> list[float]:
            return [
                (at - since) * 1000
                for at, seen in self.received[key_id]
                if at >= since and seen >= calls
            ]

        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: len(arrived()) >= count), 10)
            return arrived()[:count]


async def _open(base: str, secret: str, key_id: str, count: int, subscribers: _Subscribers) -> Any:
    connection = await connect(
        base.replace("http", "ws", 1) + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        max_queue=None,
    )
    await connection.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {secret}"}})
    )
    if json.loads(await connection.recv())["type"] != "connection_ack":
        raise SystemExit("bench: the S6 connection was not acknowledged")
    for number in range(count):
        payload = {"query": SUBSCRIPTION, "variables": {"id": key_id}}
        await connection.send(
            json.dumps({"id": str(number), "type": "subscribe", "payload": payload})
        )
    return connection, asyncio.create_task(subscribers.read(key_id, connection))


async def _measure(base: str, token: str) -> dict[str, Any]:
    session = {"Authorization": f"Bearer {token}"}
    per_key = max(SUBSCRIBERS // KEYS, 1)
    subscribers = _Subscribers()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        keys = []
        for _ in range(KEYS):
            made = (
                await client.post("/graphql", json={"query": CREATE_KEY}, headers=session)
            ).json()
            keys.append(
                (
                    made["data"]["createApiKey"]["secret"],
                    made["data"]["createApiKey"]["apiKey"]["id"],
                )
            )
        opened = [
            await _open(base, secret, key_id, per_key, subscribers) for secret, key_id in keys
        ]
        delays: list[float] = []
        try:
            # Every first value in, and the coalescing second after it over, before timing.
            for _, key_id in keys:
                await subscribers.delays(key_id, 0, per_key, 0.0)
            await asyncio.sleep(COALESCING_SECONDS)
            for probe in range(PROBES):
                secret, key_id = keys[probe % KEYS]
                called_at = time.perf_counter()
                answer = await client.post(
                    "/graphql", json={"query": CALL}, headers={"Authorization": f"Bearer {secret}"}
                )
                calls = answer.json()["data"]["currentApiKey"]["totalCalls"]
                delays += await subscribers.delays(key_id, calls, per_key, called_at)
                await asyncio.sleep(PROBE_PAUSE_SECONDS)
        finally:
            for connection, reader in opened:
                reader.cancel()
                await connection.close()
    cuts = statistics.quantiles(delays, n=100)
    return {
        "subscriptions": per_key * KEYS,
        "probes": PROBES,
        "messages_timed": len(delays),
        "delay_p50_ms": round(statistics.median(delays), 1),
        "delay_p99_ms": round(cuts[98], 1),
    }


def measure_live(url: str, token: str) -> dict[str, Any]:
    """`url`: the server's base (http://host:port)."""
    return asyncio.run(_measure(url, token))


if __name__ == "__main__":
    print(json.dumps(measure_live(sys.argv[1], sys.argv[2]), indent=2))
