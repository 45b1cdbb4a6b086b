"""Fixtures of the GraphQL layer's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gatehouse.app import GatehouseGraphQL, create_app
from tests.support.database import SETTINGS


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
