"""A change made in one process reaches the subscribers of every process: two live servers
on one PostgreSQL database, signalling through LISTEN/NOTIFY, then through Redis pub/sub.
Run once (not per database variant): it makes its own database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager

import pytest

from tests.support.limiter import (
    REDIS_URL,
    forget_redis_prefix,
    require_redis,
    unique_redis_prefix,
)
from tests.support.live_server import LiveServer, execute, launch, session
from tests.support.paths import ROOT
from tests.support.subscriptions import (
    API_KEY,
    CALL,
    CREATE_KEY,
    KEY_METRICS,
    Socket,
    bearer,
    graphql,
    subscribed,
)

SIGNALS_APPLICATION = "gatehouse-signals"


@contextmanager
def two_servers(database_url: str, **env: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    first = launch(database_url, ROOT, None, **env)
    first.wait_ready()
    try:
        second = launch(database_url, ROOT, None, **env)
        second.wait_ready()
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


@pytest.fixture(params=["postgres", "redis"])
def signal_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "postgres":
        yield {}
        return
    require_redis()
    prefix = unique_redis_prefix()
    yield {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}
    forget_redis_prefix(prefix)


async def four_subscribers(
    stack: AsyncExitStack, servers: tuple[LiveServer, LiveServer], token: str, key_id: str
) -> list[Socket]:
    """Two on each server: the key itself, and the metrics over every key."""
    sockets: list[Socket] = []
    for server in servers:
        for query, variables in ((API_KEY, {"id": key_id}), (KEY_METRICS, {})):
            sockets.append(
                await stack.enter_async_context(subscribed(server.base, token, query, variables))
            )
    for connection in sockets:
        await connection.next_payload("1")
    return sockets


async def all_hear(sockets: list[Socket], seconds: float) -> list[dict[str, object]]:
    payloads = await asyncio.gather(*(s.next_payload("1", seconds) for s in sockets))
    return [payload["data"] for payload in payloads]


def new_key(base: str, token: str) -> tuple[str, str]:
    data = graphql(base, CREATE_KEY, {"name": "across", "scopes": ["READ"]}, **bearer(token))
    return data["createApiKey"]["secret"], data["createApiKey"]["apiKey"]["id"]


async def test_one_call_reaches_four_subscribers_on_two_processes_within_two_seconds(
    postgres_database: str, signal_env: dict[str, str]
) -> None:
    with two_servers(postgres_database, **signal_env) as servers:
        token = session(servers[0])
        secret, key_id = new_key(servers[0].base, token)
        async with AsyncExitStack() as stack:
            sockets = await four_subscribers(stack, servers, token, key_id)
            called_at = time.monotonic()
            # A third connection, to the second process.
            graphql(servers[1].base, CALL, **bearer(secret))
            heard = await all_hear(sockets, seconds=2)
            assert time.monotonic() - called_at < 2
            assert {str(data) for data in heard[0::2]} == {str(heard[0])}
            assert all(data["apiKey"] for data in heard[0::2])


async def _terminate_listeners(database_url: str) -> None:
    await execute(
        database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        SIGNALS_APPLICATION,
    )


async def test_listeners_reconnect_after_an_outage_and_send_values_again(
    postgres_database: str,
) -> None:
    with two_servers(postgres_database) as servers:
        token = session(servers[0])
        secret, key_id = new_key(servers[0].base, token)
        async with AsyncExitStack() as stack:
            sockets = await four_subscribers(stack, servers, token, key_id)
            await _terminate_listeners(postgres_database)
            # Back within the first pause after the loss: everyone reads everything again.
            await all_hear(sockets, seconds=5)
            graphql(servers[0].base, CALL, **bearer(secret))
            heard = await all_hear(sockets, seconds=3)
            assert all(data for data in heard)
