"""A live `gatehouse serve`: every line in one format, from every worker, and /metrics
summing all workers on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.live_server import ADMIN_PASSWORD, answers_ready, start
from tests.support.paths import ROOT

METRICS_TOKEN = "live-metrics-token-0123456789"
PING = "query Ping { __typename }"
MAX_ROUNDS = 10
REQUESTS_PER_ROUND = 24


class Server:
    def __init__(self, base: str) -> None:
        self.base = base
        self.lines: list[str] = []

    def json_lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in list(self.lines)]

    def request_lines(self, operation: str) -> list[dict[str, object]]:
        return [
            line
            for line in self.json_lines()
            if line["logger"] == "gatehouse.request" and line.get("operation_name") == operation
        ]


@contextmanager
def serving(database_url: str, **extra_env: str) -> Iterator[Server]:
    env = {"LOG_FORMAT": "json", "METRICS_TOKEN": METRICS_TOKEN, **extra_env}
    process, base = start(database_url, ROOT, env)
    server = Server(base)
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            server.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not answers_ready(server.base, process):
            pytest.fail("server did not start:\n" + "\n".join(server.lines))
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
        stdout.close()


def _metrics_directories() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("gatehouse-metrics-*"))


def _value(metrics_text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_every_line_of_a_server_run_is_one_json_document(database_url: str) -> None:
    with serving(database_url) as server:
        answer = httpx.post(f"{server.base}/graphql", json={"query": PING})
        request_id = answer.headers["x-request-id"]

    documents = server.json_lines()  # each line parses, or this fails
    assert documents
    assert all({"time", "level", "logger", "message"} <= set(line) for line in documents)
    loggers = {line["logger"] for line in documents}
    assert {"gatehouse", "uvicorn", "gatehouse.request"} <= loggers
    assert [line["request_id"] for line in server.request_lines("Ping")] == [request_id]
    everything = "\n".join(server.lines)
    # Neither Tortoise's start-up reprs and shutdown notices nor the admin password.
    assert "Tortoise-ORM" not in everything
    assert " object at 0x" not in everything
    assert ADMIN_PASSWORD not in everything


async def test_metrics_and_request_lines_cover_every_worker(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several workers need PostgreSQL; SQLite serves one process")
    metrics_directories_before = _metrics_directories()
    with serving(database_url, WORKERS="2") as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
            sent = 0
            # Until both workers have answered some (the kernel spreads connections).
            for _ in range(MAX_ROUNDS):
                async with asyncio.TaskGroup() as group:
                    for _ in range(REQUESTS_PER_ROUND):
                        group.create_task(
                            client.post(
                                "/graphql",
                                json={"query": PING},
                                headers={"Connection": "close"},
                            )
                        )
                sent += REQUESTS_PER_ROUND
                await asyncio.sleep(0.2)
                if len({line["pid"] for line in server.request_lines("Ping")}) == 2:
                    break
            scrapes = [
                (await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}))
                for _ in range(6)
            ]
            refused = await client.get("/metrics")

        worker_pids = {line["pid"] for line in server.request_lines("Ping")}
        started = [line for line in server.json_lines() if "Started server process" in str(line)]

    assert refused.status_code == 401
    # The workers' shared metrics directory went with the server.
    assert _metrics_directories() <= metrics_directories_before
    assert len(worker_pids) == 2, "every Ping went to one worker; try again"
    assert len(started) == 2
    assert len(server.request_lines("Ping")) == sent
    labels = {"route": "/graphql", "operation": "Ping", "operation_type": "query", "outcome": "OK"}
    for scrape in scrapes:
        assert scrape.status_code == 200
        assert _value(scrape.text, "gatehouse_requests_total", **labels) == sent
        assert _value(scrape.text, "gatehouse_database_pool_max_connections") > 0
