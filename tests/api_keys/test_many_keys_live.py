"""Group commit under many keys at once: a live server with three worker processes on one
PostgreSQL database, many keys called over many connections in no particular order. Each
process's batches then hold several keys, in whatever order their calls arrived; unless
every batch locks its rows in one order, two processes' batches wait for each other and
PostgreSQL kills one of them as a deadlock. Every call must be answered 200 and counted
exactly once, in the key's total, its usage day and the day's total."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.documents import ME_EMAIL
from tests.support.live_server import (
    LiveServer,
    call,
    fresh_postgres_database,
    launch,
    new_key,
    session,
)

WORKERS = 3
KEYS = 24
CONNECTIONS = 64
REQUESTS = 3_000
WHOLE_RUN_SECONDS = 300
METRICS_TOKEN = "many-keys-live-scrape-token"
FIGURES = """{
  apiKeys(first: 100) { nodes { name totalCalls usage(days: 2) { date calls } } }
  keyMetrics { apiCallsToday }
}"""


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    async for url in fresh_postgres_database(
        "PostgreSQL NOT TESTED: group commit across processes is only exercised there"
    ):
        yield url


@pytest.fixture
def server(postgres_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = launch(
        postgres_database,
        tmp_path,
        WORKERS=str(WORKERS),
        LOG_LEVEL="WARNING",
        METRICS_TOKEN=METRICS_TOKEN,
    )
    try:
        live.wait_ready()
        yield live
    finally:
        code = live.stop()
        assert code == 0, live.output


async def _drive(base: str, secrets: list[str]) -> list[tuple[int, str, str]]:
    """Every request, over `CONNECTIONS` connections at once; (status, key, body) each."""
    plan = [secrets[number % len(secrets)] for number in range(REQUESTS)]
    random.Random(12).shuffle(plan)  # noqa: S311 - an order, not a secret
    pending = iter(plan)
    answers: list[tuple[int, str, str]] = []
    # A connection per request: kept-alive connections opened in one burst are all accepted
    # by whichever worker wakes first (it accepts a whole backlog at once), and one process
    # alone never meets another's batches. Fresh ones spread over the three.
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=0)

    async def connection(client: httpx.AsyncClient) -> None:
        for secret in pending:
            response = await client.post(
                f"{base}/graphql", json={"query": ME_EMAIL}, headers={"X-API-Key": secret}
            )
            answers.append((response.status_code, secret, response.text))

    async with (
        asyncio.timeout(WHOLE_RUN_SECONDS),
        httpx.AsyncClient(limits=limits, timeout=60) as client,
    ):
        await asyncio.gather(*(connection(client) for _ in range(CONNECTIONS)))
    return answers


def test_many_keys_over_many_connections_and_processes_are_all_answered_and_counted(
    server: LiveServer,
) -> None:
    token = session(server)
    keys = {f"k{number}": new_key(server, token, f"k{number}")[0] for number in range(KEYS)}

    answers = asyncio.run(_drive(server.base, list(keys.values())))
    figures = call(server, FIGURES, Authorization=f"Bearer {token}")["data"]
    metrics = httpx.get(
        f"{server.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
    )

    refused = [(status, body[:200]) for status, _, body in answers if status != 200]
    assert refused == []
    assert all('"errors"' not in body for _, _, body in answers)
    sent = Counter(secret for _, secret, _ in answers)
    expected = {name: sent[secret] for name, secret in keys.items()}
    nodes: list[dict[str, Any]] = figures["apiKeys"]["nodes"]
    assert {node["name"]: node["totalCalls"] for node in nodes} == expected
    # Summed over today and yesterday, so a run across midnight (UTC) adds up as well.
    assert {node["name"]: sum(day["calls"] for day in node["usage"]) for node in nodes} == expected
    today = max(day["date"] for node in nodes for day in node["usage"])
    assert figures["keyMetrics"]["apiCallsToday"] == sum(
        day["calls"] for node in nodes for day in node["usage"] if day["date"] == today
    )
    assert sum(expected.values()) == REQUESTS
    # Not even a retried batch: in one lock order, batches queue and never deadlock (the
    # retry would hide a deadlock from the answers, not from this count).
    assert metrics.status_code == 200
    assert _retried_batches(metrics.text) == 0


def _retried_batches(exposition: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "gatehouse_write_conflict_retries_total"
    )
