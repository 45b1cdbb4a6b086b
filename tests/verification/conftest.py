"""Fixtures only: a root key (VERIFY, owned by an ADMIN) and the key it verifies."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from models import ApiKey, Role, Scope, User
from tests.support.factories import make_api_key, make_user


@dataclass(frozen=True)
class Root:
    owner: User
    key: ApiKey
    secret: str


@pytest.fixture
async def root(db: None) -> Root:
    owner = await make_user(roles=(Role.ADMIN,), email="verifier@example.com")
    key, secret = await make_api_key(owner, scopes=(Scope.VERIFY,), name="root")
    return Root(owner, key, secret)


@pytest.fixture
async def customer(db: None) -> User:
    return await make_user(roles=(Role.READ_ONLY,), email="customer@example.com")
