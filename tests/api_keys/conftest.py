"""Fixtures of the API key tests."""

from __future__ import annotations

import httpx
import pytest

from models import Role, User
from tests.support.factories import make_user
from tests.support.graphql import login


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> User:
    """An admin who edits and rolls keys of their own: an admin never changes another user's
    key, and only a key's owner may roll it (tests/api_keys/test_key_escalation.py)."""
    return await make_user(roles=(Role.ADMIN,))


@pytest.fixture
async def admin_token(client: httpx.AsyncClient, owner: User) -> str:
    return await login(client, owner)
