"""Fixtures: a fresh real database per test (SQLite in memory, or PostgreSQL where
TEST_DATABASE_URL points), the real ASGI app over httpx, and factories for real rows."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import pytest_asyncio
from tortoise.contrib.test import tortoise_test_context

from auth.principal import Principal
from core.config import Settings
from gatehouse.app import create_app
from models import ApiKey, Role, Scope, User, UserStatus
from resolvers import api_keys, users
from schema.ids import API_KEY, USER, decode_global_id, global_id

PASSWORD = "correct horse battery staple"
# Real Argon2id, with cost parameters cheap enough for a suite that hashes hundreds of times.
SETTINGS = Settings(argon2_time_cost=1, argon2_memory_cost_kib=64, argon2_parallelism=1)


def _test_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite://:memory:"
    parts = urlsplit(url)
    # `{}` is filled by Tortoise with a random suffix: each test gets a database of its own.
    return urlunsplit(parts._replace(path=(parts.path.rstrip("/") or "/gatehouse") + "_{}"))


DATABASE_URL = _test_database_url()


def pytest_report_header() -> str:
    backend = DATABASE_URL.split(":", 1)[0]
    note = "" if "TEST_DATABASE_URL" in os.environ else " (set TEST_DATABASE_URL for PostgreSQL)"
    return f"gatehouse test database: {backend}{note}"


@pytest.fixture
async def db() -> AsyncIterator[None]:
    async with tortoise_test_context(["models"], db_url=DATABASE_URL) as context:
        yield
        client = context.connections.get("default")
        await client.close()
        await client.db_delete()


@pytest.fixture
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SETTINGS, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_database() -> AsyncIterator[None]:
    """One database for a whole module whose many cases each make their own rows, so that
    hundreds of cases do not each pay for a new database (slow on PostgreSQL). The module
    runs on one event loop: `pytestmark = pytest.mark.asyncio(loop_scope="module")`."""
    async with tortoise_test_context(["models"], db_url=DATABASE_URL) as context:
        yield
        connection = context.connections.get("default")
        await connection.close()
        await connection.db_delete()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_client(shared_database: None) -> AsyncIterator[httpx.AsyncClient]:
    """`client` on the module's shared database, one app for the module."""
    app = create_app(SETTINGS, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def gid(row: User | ApiKey) -> str:
    """The API's global id of a row, as `id` fields show it and id arguments take it."""
    return global_id(USER if isinstance(row, User) else API_KEY, row.id)


def pk(global_id: str) -> int:
    """The primary key behind a global id the API returned."""
    decoded = decode_global_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


_counter = iter(range(1, 1_000_000))


async def make_user(
    *,
    roles: tuple[Role, ...] = (Role.ADMIN,),
    email: str | None = None,
    status: UserStatus = UserStatus.ACTIVE,
    password: str = PASSWORD,
    display_name: str | None = None,
) -> User:
    number = next(_counter)
    user = await users.create_user(
        None,
        email=email or f"user{number}@example.com",
        display_name=display_name or f"User {number}",
        password=password,
        roles=list(roles),
    )
    if status != UserStatus.ACTIVE:
        user.status = status
        await user.save(update_fields=["status"])
    return user


LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token expiresAt user { id email } }
}
"""


async def login(client: httpx.AsyncClient, user: User, password: str = PASSWORD) -> str:
    body = await graphql(client, LOGIN, {"email": user.email, "password": password})
    assert "errors" not in body, body
    token: str = body["data"]["login"]["token"]
    return token


async def make_api_key(
    owner: User,
    *,
    scopes: tuple[Scope, ...] = (Scope.READ,),
    name: str = "automation",
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    created = await api_keys.create_api_key(
        Principal(user=owner), name=name, scopes=list(scopes), expires_at=expires_at
    )
    return created.api_key, created.secret


@pytest.fixture
async def super_admin(db: None) -> User:
    return await make_user(roles=(Role.SUPER_ADMIN,), email="root@example.com")


async def token_for(client: httpx.AsyncClient, *roles: Role) -> tuple[User, str]:
    user = await make_user(roles=roles)
    return user, await login(client, user)
