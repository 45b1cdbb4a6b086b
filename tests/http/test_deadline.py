"""Every request has a deadline (MAX_EXECUTION_SECONDS): a request stuck on the database
past it is cancelled and answered with INTERNAL and `reason: DEADLINE_EXCEEDED`, and the
database serves the next request as usual.

The stuck statement is real: a transaction holds SQLite's connection (Tortoise's lock on
it) or, on PostgreSQL, an exclusive lock on the tables every credential is checked in. On
SQLite the hand-written reads wait for nobody (they run on a connection of their own,
models.reads), so the stuck requests are ones that also write (a session's last-seen time,
a key's call) or read through the ORM (a key's usage)."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from core.clock import utcnow
from core.config import ConfigError, Settings
from gatehouse.app import create_app
from models import ApiKey, Scope, Session, User
from tests.support.database import SETTINGS
from tests.support.documents import ME_ID_EMAIL
from tests.support.factories import make_api_key
from tests.support.graphql import login

# Only the stuck requests meet it; the others go through a server with the default one,
# so that a busy test machine cannot make them fail.
DEADLINE_SECONDS = 1.5


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@asynccontextmanager
async def database_locked(tables: str = "users, sessions, api_keys") -> AsyncIterator[None]:
    """A transaction in a task of its own, so that the requests made meanwhile are not in
    it, holding the locks until the block ends; then it rolls back. On SQLite it holds the
    one connection, whatever `tables` says."""
    locked, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with in_transaction() as connection:
            if get_connection("default").capabilities.dialect == "postgres":
                await connection.execute_script(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
            else:  # the transaction holds the client's one connection
                await connection.execute_query("SELECT 1")
            locked.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await locked.wait()
    try:
        yield
    finally:
        release.set()
        await holder


def strict() -> Settings:
    return replace(SETTINGS, max_execution_seconds=DEADLINE_SECONDS)


async def post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    query: str = ME_ID_EMAIL,
    variables: dict[str, object] | None = None,
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


def assert_deadline_exceeded(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"] == {
        "code": "INTERNAL",
        "reason": "DEADLINE_EXCEEDED",
        "limit": DEADLINE_SECONDS,
    }
    assert "Traceback" not in response.text


async def test_a_session_request_stuck_on_the_database_is_cut_at_its_deadline(
    super_admin: User, caplog: pytest.LogCaptureFixture
) -> None:
    async with serving(SETTINGS) as client, serving(strict()) as strict_client:
        headers = {"Authorization": f"Bearer {await login(client, super_admin)}"}
        # Last seen over a minute ago: the request writes the time again (auth.sessions).
        await Session.filter(user=super_admin).update(last_seen_at=utcnow() - timedelta(minutes=2))
        with caplog.at_level(logging.WARNING, logger="gatehouse.app"):
            async with database_locked():
                stuck = await post(strict_client, headers)
        after = await post(client, headers)

    assert_deadline_exceeded(stuck)
    assert "DEADLINE_EXCEEDED" not in caplog.text  # the log says it in words, once
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "MAX_EXECUTION_SECONDS" in caplog.text
    assert after.status_code == 200, after.text
    assert after.json()["data"]["me"]["email"] == super_admin.email


async def test_a_key_request_stuck_on_the_database_is_cut_and_the_key_still_works(
    super_admin: User,
) -> None:
    api_key, secret = await make_api_key(super_admin, scopes=(Scope.READ,))
    headers = {"X-API-Key": secret}
    async with serving(SETTINGS) as client, serving(strict()) as strict_client:
        async with database_locked():
            stuck = await post(strict_client, headers)
        after = await post(client, headers)

    assert_deadline_exceeded(stuck)
    assert after.status_code == 200, after.text
    assert "errors" not in after.json(), after.text
    assert (await ApiKey.get(id=api_key.id)).total_calls >= 1


async def test_a_query_stuck_in_execution_is_cut_and_the_next_one_answers(
    super_admin: User,
) -> None:
    # The credential is checked (on PostgreSQL sessions and users are free) and execution
    # waits, on `api_keys` or on SQLite for the usage: the deadline cancels graphql-core's
    # execution itself.
    await make_api_key(super_admin)
    keys = (
        "{ apiKeys(first: 5) { totalCount nodes { id name createdBy { email } "
        "usage(days: 7) { calls } } } }"
    )
    async with serving(SETTINGS) as client, serving(strict()) as strict_client:
        headers = {"Authorization": f"Bearer {await login(client, super_admin)}"}
        async with database_locked("api_keys"):
            stuck = await post(strict_client, headers, keys)
        after = await post(client, headers, keys)

    assert_deadline_exceeded(stuck)
    assert after.status_code == 200, after.text
    assert after.json()["data"]["apiKeys"]["totalCount"] == 1


async def test_a_mutation_cut_at_its_deadline_leaves_nothing_behind(super_admin: User) -> None:
    create = "mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }"
    variables: dict[str, object] = {"input": {"name": "late", "scopes": ["READ"]}}
    async with serving(SETTINGS) as client, serving(strict()) as strict_client:
        headers = {"Authorization": f"Bearer {await login(client, super_admin)}"}
        async with database_locked("api_keys"):
            stuck = await post(strict_client, headers, create, variables)
        keys_after_the_cut = await ApiKey.all().count()
        again = await post(client, headers, create, variables)

    assert_deadline_exceeded(stuck)
    assert keys_after_the_cut == 0
    assert again.status_code == 200, again.text
    assert again.json()["data"]["createApiKey"]["secret"]
    assert await ApiKey.filter(name="late").count() == 1


async def test_a_request_within_its_deadline_is_untouched(super_admin: User) -> None:
    async with serving(SETTINGS) as client:
        headers = {"Authorization": f"Bearer {await login(client, super_admin)}"}
        response = await post(client, headers)

    assert response.status_code == 200
    assert response.json()["data"]["me"]["email"] == super_admin.email


def test_the_deadline_is_a_setting_of_ten_seconds_by_default() -> None:
    assert Settings.load(environ={}, env_file=None).max_execution_seconds == 10
    tuned = Settings.load(environ={"MAX_EXECUTION_SECONDS": "2.5"}, env_file=None)
    assert tuned.max_execution_seconds == 2.5


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "3601"])
def test_a_bad_deadline_names_its_variable(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^MAX_EXECUTION_SECONDS: "):
        Settings.load(environ={"MAX_EXECUTION_SECONDS": value}, env_file=None)
