"""Fixtures only: a fresh real database per test (a SQLite file, or PostgreSQL where
TEST_DATABASE_URL points), the real ASGI app over httpx with its typed GraphQL client, and
rows the tests start from. Helpers are imported from tests/support/."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.datastructures import Secret

from gatehouse.app import create_app
from models import Role, User
from tests.support.database import DATABASE_URL, SETTINGS, fresh_database
from tests.support.factories import make_user
from tests.support.graphql import GraphQLClient
from tests.support.limiter import (
    REDIS_URL,
    forget_redis_prefix,
    require_redis,
    unique_redis_prefix,
)
from tests.support.live_server import fresh_postgres_database, sqlite_or_postgres


def pytest_report_header() -> str:
    backend = DATABASE_URL.split(":", 1)[0]
    note = "" if "TEST_DATABASE_URL" in os.environ else " (set TEST_DATABASE_URL for PostgreSQL)"
    return f"gatehouse test database: {backend}{note}"


@pytest.fixture
async def db() -> AsyncIterator[None]:
    async with fresh_database():
        yield


@pytest.fixture
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SETTINGS, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    """The typed GraphQL client over `client`."""
    return GraphQLClient(client)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_database() -> AsyncIterator[None]:
    """One database for a whole module whose many cases each make their own rows, so that
    hundreds of cases do not each pay for a new database (slow on PostgreSQL). The module
    runs on one event loop: `pytestmark = pytest.mark.asyncio(loop_scope="module")`."""
    async with fresh_database():
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_client(shared_database: None) -> AsyncIterator[httpx.AsyncClient]:
    """`client` on the module's shared database, one app for the module."""
    app = create_app(SETTINGS, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def super_admin(db: None) -> User:
    return await make_user(roles=(Role.SUPER_ADMIN,), email="root@example.com")


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """For live servers: a fresh SQLite file, then a fresh PostgreSQL database (skipped,
    saying so, where none is configured)."""
    async for url in sqlite_or_postgres(request.param, tmp_path):
        yield url


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    """An empty PostgreSQL database of its own (skipped, saying so, without PostgreSQL)."""
    async for url in fresh_postgres_database():
        yield url


@pytest.fixture(params=["database", "redis"])
def backend(request: pytest.FixtureRequest, db: None) -> Iterator[dict[str, Any]]:
    """Settings that pick the limiter's storage: the database, then Redis (skipped, saying
    so, where no Redis answers), each test counting under a prefix of its own."""
    if request.param == "database":
        yield {}
        return
    require_redis()
    prefix = unique_redis_prefix()
    yield {"redis_url": Secret(REDIS_URL), "redis_key_prefix": prefix}
    forget_redis_prefix(prefix)
