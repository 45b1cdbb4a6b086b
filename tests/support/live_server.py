"""Real `python -m gatehouse serve` processes on 127.0.0.1, for the tests that need a live
server: start-up, shutdown, replicas and outages. The one way the suite starts a server:
`launch` (then `wait_ready` and `stop`), `serving` around it, or `start` for a test that
reads the output as it comes; all on `environment()` and free ports."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from tests.support.documents import LIVE_CREATE_KEY, LIVE_LOGIN
from tests.support.paths import ROOT

ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "a long enough password"
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(database_url: str, port: int, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "64",
        "ARGON2_PARALLELISM": "1",
        **extra,
    }


@dataclass
class LiveServer:
    process: subprocess.Popen[str]
    base: str
    output: str = field(default="")

    def wait_ready(self) -> None:
        if not answers_ready(self.base, self.process):
            self.stop()
            pytest.fail(f"server did not start:\n{self.output}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.output += self.process.communicate(timeout=timeout)[0]
        assert ADMIN_PASSWORD not in self.output
        return self.process.returncode


def launch(
    database_url: str, cwd: Path, descriptor_limit: int | None = None, **extra: str
) -> LiveServer:
    """`descriptor_limit`: the server's `ulimit -n`, for the tests of what exhausts it."""

    def limit_descriptors() -> None:
        if descriptor_limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (descriptor_limit, descriptor_limit))

    process, base = start(
        database_url,
        cwd,
        extra,
        preexec_fn=limit_descriptors if descriptor_limit is not None else None,
    )
    return LiveServer(process=process, base=base)


@contextmanager
def two_servers(
    database_url: str, cwd: Path, **extra: str
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two server processes on one (PostgreSQL) database, ready, with the `extra`
    settings; both must stop cleanly."""
    first, second = (launch(database_url, cwd, None, **extra) for _ in range(2))
    try:
        first.wait_ready()
        second.wait_ready()
        yield first, second
    finally:
        codes = [first.stop(), second.stop()]
        assert codes == [0, 0], first.output + second.output


def start(
    database_url: str,
    cwd: Path,
    extra: Mapping[str, str],
    *,
    output: int | IO[str] = subprocess.PIPE,
    preexec_fn: Callable[[], None] | None = None,
) -> tuple[subprocess.Popen[str], str]:
    """`python -m gatehouse serve` on a free port, its output (and errors) to `output`: the
    process and its base URL. Most tests want `launch` or `serving`; this is for those that
    read the output as it comes or keep it in a file."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gatehouse", "serve"],
        cwd=cwd,
        env=environment(database_url, port, **extra),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=preexec_fn,
    )
    return process, f"http://127.0.0.1:{port}"


def answers_ready(
    base: str, process: subprocess.Popen[str], seconds: float = START_SECONDS
) -> bool:
    """Whether the server at `base` answered /readyz with 200 before its process ended or
    `seconds` passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


async def execute(url: str, statement: str, *arguments: object) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement, *arguments)
    finally:
        await connection.close()


def admin_sql(url: str, statement: str, *arguments: object) -> None:
    """For synchronous tests: one statement on its own connection."""
    asyncio.run(execute(url, statement, *arguments))


def end_sessions(admin_url: str, database: str) -> None:
    admin_sql(
        admin_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
        database,
    )


def postgres_base_url(not_tested: str = "PostgreSQL NOT TESTED") -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(f"{not_tested}: set TEST_DATABASE_URL to run this on PostgreSQL")
    return url


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def fresh_postgres_database(not_tested: str = "PostgreSQL NOT TESTED") -> AsyncIterator[str]:
    """An empty PostgreSQL database of its own, dropped afterwards (with its sessions); the
    test is skipped, saying `not_tested`, where no PostgreSQL is configured."""
    base = postgres_base_url(not_tested)
    name = f"gatehouse_live_{uuid.uuid4().hex}"
    await execute(base, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(base, name)
    finally:
        await execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def sqlite_or_postgres(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """For fixtures parametrised over both databases: a fresh SQLite file or PostgreSQL
    database for the server under test."""
    if kind == "sqlite":
        yield f"sqlite://{tmp_path}/gatehouse.sqlite3"
        return
    async for url in fresh_postgres_database():
        yield url


@contextmanager
def serving(database_url: str, **extra_env: str) -> Iterator[str]:
    """A ready server on `database_url` for the block, its base URL given; stopped after,
    its output checked for the admin's password."""
    server = launch(database_url, ROOT, None, **extra_env)
    server.wait_ready()
    try:
        yield server.base
    finally:
        server.stop()


def call(
    server: LiveServer, query: str, variables: dict[str, object] | None = None, /, **headers: str
) -> dict[str, Any]:
    """A GraphQL request to a live server; the JSON body of its 200 answer."""
    response = httpx.post(
        f"{server.base}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def graphql_at(
    base: str, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> Any:
    """The `data` of a GraphQL request to the server at `base` that must not fail."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(
        f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


def login_at(base: str, email: str, password: str) -> str:
    """A session token of `email` at the server at `base`."""
    return str(graphql_at(base, LIVE_LOGIN, {"e": email, "p": password})["login"]["token"])


def session(server: LiveServer) -> str:
    """The first super-admin's session token."""
    body = call(server, LIVE_LOGIN, {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD})
    return str(body["data"]["login"]["token"])


def new_key(server: LiveServer, token: str, name: str) -> tuple[str, str]:
    """A READ key made by `token`'s user: its secret and global id."""
    body = call(server, LIVE_CREATE_KEY, {"name": name}, Authorization=f"Bearer {token}")
    created = body["data"]["createApiKey"]
    return created["secret"], created["apiKey"]["id"]
