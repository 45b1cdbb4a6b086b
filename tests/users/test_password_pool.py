"""Argon2 runs in a bounded pool: when every slot stays busy, a login waits a bounded time
and is then refused RATE_LIMITED, while key-authenticated requests go on unaffected."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from httpx import AsyncClient

from auth import passwords
from auth.runtime import current
from core.config import Settings, available_cores
from tests.support.database import SETTINGS
from tests.support.documents import LOGIN
from tests.support.factories import make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

QUEUE_SECONDS = 0.2


def configure(concurrency: int, queue_seconds: float) -> None:
    runtime = current()
    runtime.passwords.close()
    runtime.passwords = passwords.PasswordHashing(
        replace(SETTINGS.argon2, concurrency=concurrency, queue_seconds=queue_seconds)
    )


@pytest.fixture
def one_slot() -> Iterator[None]:
    configure(1, QUEUE_SECONDS)
    yield
    configure(available_cores(), Settings.password_hash_queue_seconds)


@asynccontextmanager
async def every_slot_taken() -> AsyncIterator[None]:
    """The only slot busy with work that ends with the block."""
    release = threading.Event()
    busy = asyncio.create_task(current().passwords.pool.run(release.wait))
    await asyncio.sleep(0)  # the task takes the free slot before its first real wait
    assert current().passwords.stats().in_use == 1
    try:
        yield
    finally:
        release.set()
        await busy


async def test_a_login_waiting_too_long_for_argon2_is_rate_limited_with_retry_after(
    client: AsyncClient, one_slot: None
) -> None:
    user = await make_user()

    async with every_slot_taken():
        body = await graphql(client, LOGIN, {"email": user.email, "password": "wrong password!"})
        stats = current().passwords.stats()

    assert error_codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["extensions"]["retryAfter"] >= 1
    assert body["data"] is None
    assert stats == passwords.PoolStats(size=1, in_use=1, waiting=0)


async def test_key_requests_are_served_while_the_argon2_pool_is_saturated(
    client: AsyncClient, one_slot: None
) -> None:
    owner = await make_user()
    _, secret = await make_api_key(owner)

    async with every_slot_taken():
        body = await graphql(client, "{ me { email } }", headers={"X-API-Key": secret})

    assert body == {"data": {"me": {"email": owner.email}}}


async def test_a_login_that_gets_a_slot_in_time_succeeds(
    client: AsyncClient, one_slot: None
) -> None:
    user = await make_user()
    configure(1, 60)  # long enough never to run out here

    async with every_slot_taken():
        waiting_login = asyncio.create_task(login(client, user))
        for _ in range(10_000):  # until the login is queued for a slot
            if current().passwords.stats().waiting:
                break
            await asyncio.sleep(0.001)
        assert current().passwords.stats().waiting == 1
    token = await waiting_login

    assert token.startswith("gs_")
    assert current().passwords.stats().in_use == 0


async def test_refusals_for_a_busy_pool_count_as_no_failure(
    client: AsyncClient, one_slot: None
) -> None:
    # Wrong passwords even: a refused attempt was never checked, so it tells nothing.
    user = await make_user()
    attempts = SETTINGS.login_max_failures_per_account + 2

    async with every_slot_taken():
        refused = [
            await graphql(client, LOGIN, {"email": user.email, "password": "wrong password!"})
            for _ in range(attempts)
        ]
    token = await login(client, user)

    assert [error_codes(body) for body in refused] == [["RATE_LIMITED"]] * attempts
    assert token.startswith("gs_")
