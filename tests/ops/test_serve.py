"""`python -m gatehouse serve` as a user runs it: migrations, first super-admin, live HTTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.live_server import free_port, sqlite_or_postgres

ADMIN_EMAIL = "Owner@Example.com"
ADMIN_PASSWORD = "a long enough password"
CONCURRENT_CALLS = 120
CREATE_KEY = 'mutation { createApiKey(input: {name: "burst", scopes: [READ]}) { secret } }'
KEY_FIGURES = "{ apiKeys { nodes { totalCalls } } keyMetrics { apiCallsToday } }"
LOGIN = 'mutation { login(email: "owner@example.com", password: "%s") { token } }'


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async for url in sqlite_or_postgres(request.param, tmp_path):
        yield url


@contextmanager
def serving(database_url: str, **extra_env: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "64",
        "ARGON2_PARALLELISM": "1",
        **extra_env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gatehouse", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            process.terminate()
            pytest.fail(f"server did not start:\n{process.communicate(timeout=10)[0]}")
        yield base
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
        assert ADMIN_PASSWORD not in output


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    with serving(database_url) as base:
        yield base


def test_first_start_migrates_and_creates_the_super_admin(server: str) -> None:
    assert httpx.get(f"{server}/readyz").status_code == 200

    body = httpx.post(f"{server}/graphql", json={"query": LOGIN % ADMIN_PASSWORD}).json()
    token = body["data"]["login"]["token"]
    me = httpx.post(
        f"{server}/graphql",
        json={"query": "{ me { email roles } }"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()

    assert me["data"]["me"] == {"email": "owner@example.com", "roles": ["SUPER_ADMIN"]}


def test_graphiql_is_served_in_development(server: str) -> None:
    response = httpx.get(f"{server}/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_calls_are_counted_exactly_across_several_server_processes(
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several processes need PostgreSQL; SQLite serves one")
    with serving(database_url, WORKERS="3") as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            login = await client.post("/graphql", json={"query": LOGIN % ADMIN_PASSWORD})
            token = login.json()["data"]["login"]["token"]
            created = await client.post(
                "/graphql",
                json={"query": CREATE_KEY},
                headers={"Authorization": f"Bearer {token}"},
            )
            key = created.json()["data"]["createApiKey"]["secret"]
            headers = {"X-API-Key": key}

            answers = await asyncio.gather(
                *(
                    client.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
                    for _ in range(CONCURRENT_CALLS)
                )
            )
            figures = await client.post("/graphql", json={"query": KEY_FIGURES}, headers=headers)

    assert all("errors" not in answer.json() for answer in answers)
    key_figures = figures.json()["data"]
    # The figures request is itself a call, counted before it runs.
    assert key_figures["apiKeys"]["nodes"][0]["totalCalls"] == CONCURRENT_CALLS + 1
    assert key_figures["keyMetrics"]["apiCallsToday"] == CONCURRENT_CALLS + 1
