"""Shared by the limiter tests: apps with their own limits and client address, and Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
import redis

from auth.runtime import build_runtime
from gatehouse.app import create_app
from tests.support.database import SETTINGS
from tests.support.documents import LOGIN_TOKEN

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def require_redis() -> None:
    if not redis_reachable():
        pytest.skip(f"REDIS NOT TESTED: no Redis answers at {REDIS_URL} (set TEST_REDIS_URL)")


def unique_redis_prefix() -> str:
    # One Redis serves everyone on this machine: each test counts under its own prefix.
    return f"gatehouse-test-{uuid.uuid4().hex}"


def forget_redis_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@asynccontextmanager
async def app_client(
    address: str = "127.0.0.1", /, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app with these settings, called from `address`; the defaults come back after."""
    runtime = build_runtime(replace(SETTINGS, **settings))
    app = create_app(runtime.settings, manage_database=False, runtime=runtime)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await runtime.close()
        build_runtime(SETTINGS).install()


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )


async def try_login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    response = await post(client, LOGIN_TOKEN, {"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def code_of(body: dict[str, Any]) -> str:
    if "errors" not in body:
        return "OK"
    code: str = body["errors"][0]["extensions"]["code"]
    return code
