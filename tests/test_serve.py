"""`python -m gatehouse serve` as a user runs it: migrations, first super-admin, live HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

ADMIN_EMAIL = "Owner@Example.com"
ADMIN_PASSWORD = "a long enough password"
LOGIN = 'mutation { login(email: "owner@example.com", password: "%s") { token } }'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _execute(base_url: str, statement: str) -> None:
    connection = await asyncpg.connect(base_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path}/gatehouse.sqlite3"
        return
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip("PostgreSQL NOT TESTED: set TEST_DATABASE_URL to serve on PostgreSQL")
    name = f"gatehouse_serve_{uuid.uuid4().hex}"
    await _execute(base_url, f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))
    await _execute(base_url, f'DROP DATABASE "{name}"')


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "64",
        "ARGON2_PARALLELISM": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gatehouse", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            process.terminate()
            pytest.fail(f"server did not start:\n{process.communicate(timeout=10)[0]}")
        yield base
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
        assert ADMIN_PASSWORD not in output


def test_first_start_migrates_and_creates_the_super_admin(server: str) -> None:
    assert httpx.get(f"{server}/readyz").status_code == 200

    body = httpx.post(f"{server}/graphql", json={"query": LOGIN % ADMIN_PASSWORD}).json()
    token = body["data"]["login"]["token"]
    me = httpx.post(
        f"{server}/graphql",
        json={"query": "{ me { email roles } }"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()

    assert me["data"]["me"] == {"email": "owner@example.com", "roles": ["SUPER_ADMIN"]}


def test_graphiql_is_served_in_development(server: str) -> None:
    response = httpx.get(f"{server}/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
