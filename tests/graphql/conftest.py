"""Fixtures of the GraphQL layer's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gatehouse.app import GatehouseGraphQL, create_app
from models import Role, User
from tests.support.database import SETTINGS
from tests.support.graphql import login, token_for


@pytest.fixture
async def served() -> AsyncIterator[tuple[httpx.AsyncClient, GatehouseGraphQL]]:
    """A client of a fresh app, and the app's GraphQL endpoint (to look into its caches)."""
    app = create_app(SETTINGS, manage_database=False)
    endpoint = next(route for route in app.routes if getattr(route, "path", "") == "/graphql")
    graphql_app = endpoint.app  # type: ignore[attr-defined]
    assert isinstance(graphql_app, GatehouseGraphQL)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, graphql_app


@pytest.fixture
async def reader(client: httpx.AsyncClient) -> str:
    """A READ_ONLY user's session token."""
    _, token = await token_for(client, Role.READ_ONLY)
    return token


@pytest.fixture
async def admin(client: httpx.AsyncClient, super_admin: User) -> str:
    """The super-admin's session token."""
    return await login(client, super_admin)
