"""The limiter across live `python -m gatehouse serve` processes: two servers on one
PostgreSQL database (counting there, or in Redis with REDIS_URL) share one login throttle
and one per-key limit exactly; TRUSTED_PROXIES decides whose address is counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.documents import LIVE_LOGIN
from tests.support.limiter import (
    REDIS_URL,
    code_of,
    forget_redis_prefix,
    require_redis,
    unique_redis_prefix,
)
from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, fresh_postgres_database, serving

KEY_LIMIT = 10
BURST = 30
CREATE_KEY = """
mutation { createApiKey(input: {name: "burst", scopes: [READ], rateLimitPerMinute: %d}) {
  apiKey { id } secret } }
"""
KEY_FIGURES = "query($id: ID!) { apiKey(id: $id) { totalCalls rateLimitedCalls } }"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async for url in fresh_postgres_database("TWO-PROCESS LIMITER NOT TESTED"):
        yield url


@pytest.fixture(params=["database", "redis"])
def limiter_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "database":
        yield {}
        return
    require_redis()
    prefix = unique_redis_prefix()
    yield {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}
    forget_redis_prefix(prefix)


def two_servers(database_url: str, **env: str) -> tuple[ExitStack, list[str]]:
    # One after the other: the first migrates and creates the super-admin.
    stack = ExitStack()
    bases = [stack.enter_context(serving(database_url, **env)) for _ in range(2)]
    return stack, bases


async def _login(client: httpx.AsyncClient, base: str, email: str, password: str) -> Any:
    response = await client.post(
        f"{base}/graphql", json={"query": LIVE_LOGIN, "variables": {"e": email, "p": password}}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_two_servers_let_a_key_make_exactly_its_limit_of_calls(
    postgres_url: str, limiter_env: dict[str, str]
) -> None:
    stack, bases = two_servers(postgres_url, **limiter_env)
    with stack:
        async with httpx.AsyncClient(timeout=60) as client:
            token = (await _login(client, bases[0], ADMIN_EMAIL, ADMIN_PASSWORD))["data"]["login"]
            session = {"Authorization": f"Bearer {token['token']}"}
            created = await client.post(
                f"{bases[0]}/graphql", json={"query": CREATE_KEY % KEY_LIMIT}, headers=session
            )
            payload = created.json()["data"]["createApiKey"]
            key = {"X-API-Key": payload["secret"]}
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"{bases[n % 2]}/graphql", json={"query": "{ me { id } }"}, headers=key
                    )
                    for n in range(BURST)
                )
            )
            figures = await client.post(
                f"{bases[1]}/graphql",
                json={"query": KEY_FIGURES, "variables": {"id": payload["apiKey"]["id"]}},
                headers=session,
            )

    accepted = [answer for answer in answers if answer.status_code == 200]
    refused = [answer for answer in answers if answer.status_code == 429]
    assert len(accepted) == KEY_LIMIT
    assert len(refused) == BURST - KEY_LIMIT
    assert all("errors" not in answer.json() for answer in accepted)
    for answer in refused:
        extensions = answer.json()["errors"][0]["extensions"]
        assert extensions["code"] == "RATE_LIMITED"
        assert answer.headers["Retry-After"] == str(extensions["retryAfter"])
    assert figures.json()["data"]["apiKey"] == {
        "totalCalls": KEY_LIMIT,
        "rateLimitedCalls": BURST - KEY_LIMIT,
    }


async def test_two_servers_share_one_login_throttle(
    postgres_url: str, limiter_env: dict[str, str]
) -> None:
    stack, bases = two_servers(postgres_url, LOGIN_MAX_FAILURES_PER_ACCOUNT="3", **limiter_env)
    with stack:
        async with httpx.AsyncClient(timeout=60) as client:
            flood = await asyncio.gather(
                *(_login(client, bases[n % 2], ADMIN_EMAIL, "wrong password!") for n in range(12))
            )
            right_password = await _login(client, bases[1], ADMIN_EMAIL, ADMIN_PASSWORD)
            unknown = await _login(client, bases[0], "nobody@example.com", "wrong password!")

    assert (
        sorted(code_of(answer) for answer in flood)
        == ["RATE_LIMITED"] * 9 + ["UNAUTHENTICATED"] * 3
    )
    assert code_of(right_password) == "RATE_LIMITED"
    assert right_password["errors"][0]["extensions"]["retryAfter"] >= 1
    assert code_of(unknown) == "UNAUTHENTICATED"


async def test_two_servers_never_lock_an_account_for_its_right_passwords(
    postgres_url: str, limiter_env: dict[str, str]
) -> None:
    # Only failures count: twenty right passwords at once, over both servers, from one
    # address, with four failures allowed per account and per address.
    stack, bases = two_servers(
        postgres_url,
        LOGIN_MAX_FAILURES_PER_ACCOUNT="4",
        LOGIN_MAX_FAILURES_PER_ADDRESS="4",
        **limiter_env,
    )
    with stack:
        async with httpx.AsyncClient(timeout=60) as client:
            signed_in = await asyncio.gather(
                *(_login(client, bases[n % 2], ADMIN_EMAIL, ADMIN_PASSWORD) for n in range(20))
            )
            wrong = await _login(client, bases[0], ADMIN_EMAIL, "wrong password!")
            right = await _login(client, bases[1], ADMIN_EMAIL, ADMIN_PASSWORD)

    assert [code_of(answer) for answer in signed_in] == ["OK"] * 20
    assert code_of(wrong) == "UNAUTHENTICATED"
    assert code_of(right) == "OK"


@pytest.fixture(params=["sqlite, one process", "postgres, two workers"])
async def served_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    if request.param.startswith("sqlite"):
        yield f"sqlite://{tmp_path}/gatehouse.sqlite3", "1"
        return
    async for url in fresh_postgres_database("PROXY HEADERS WITH WORKERS NOT TESTED"):
        yield url, "2"


async def _attempts_from(base: str, forwarded_for: list[str]) -> list[str]:
    codes = []
    async with httpx.AsyncClient(timeout=60) as client:
        for number, address in enumerate(forwarded_for):
            response = await client.post(
                f"{base}/graphql",
                json={
                    "query": LIVE_LOGIN,
                    "variables": {"e": f"u{number}@example.com", "p": "x" * 12},
                },
                headers={"X-Forwarded-For": address},
            )
            codes.append(code_of(response.json()))
    return codes


@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted", "trusted"])
async def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    served_database: tuple[str, str], trusted: bool
) -> None:
    database_url, workers = served_database
    env = {"LOGIN_MAX_FAILURES_PER_ADDRESS": "2", "WORKERS": workers}
    if trusted:
        env["TRUSTED_PROXIES"] = "127.0.0.1, ::1"
    with serving(database_url, **env) as base:
        spread = await _attempts_from(base, ["198.51.100.1", "198.51.100.2", "198.51.100.3"])
        one_client = await _attempts_from(base, ["203.0.113.5"] * 3)

    if trusted:
        # Each forwarded client has its own allowance; one client is stopped after two.
        assert spread == ["UNAUTHENTICATED"] * 3
    else:
        # The header is ignored: every attempt counts on the socket's 127.0.0.1.
        assert spread == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]
    assert one_client[-1] == "RATE_LIMITED"
