"""Fixtures only: a root key (VERIFY, owned by an ADMIN), the key it verifies, and two live
servers on one PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from models import ApiKey, Role, Scope, User
from tests.support.factories import make_api_key, make_user
from tests.support.live_server import LiveServer, two_servers


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


@pytest.fixture
def two_processes(
    postgres_database: str, tmp_path: Path
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Skipped, saying so, without PostgreSQL: SQLite serves one process."""
    with two_servers(postgres_database, tmp_path) as servers:
        yield servers
