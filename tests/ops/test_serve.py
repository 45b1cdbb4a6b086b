"""`python -m gatehouse serve` as a user runs it: migrations, first super-admin, live HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.support.documents import LOGIN_AS_ADMIN as LOGIN
from tests.support.live_server import ADMIN_PASSWORD, serving

# Stored as owner@example.com: the first super-admin's address is normalised too.
ADMIN_EMAIL = "Owner@Example.com"
CONCURRENT_CALLS = 120
CREATE_KEY = 'mutation { createApiKey(input: {name: "burst", scopes: [READ]}) { secret } }'
KEY_FIGURES = "{ apiKeys { nodes { totalCalls } } keyMetrics { apiCallsToday } }"


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    with serving(database_url, ADMIN_EMAIL=ADMIN_EMAIL) as base:
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
    with serving(database_url, ADMIN_EMAIL=ADMIN_EMAIL, WORKERS="3") as base:
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
