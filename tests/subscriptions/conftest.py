"""One live server per database for the package's cases (each makes its own rows): SQLite,
then PostgreSQL (skipped, saying so, where TEST_DATABASE_URL is not set)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.live_server import (
    LiveServer,
    execute,
    launch,
    postgres_base_url,
    session,
    with_database,
)
from tests.support.paths import ROOT

CAP = 3
METRICS_TOKEN = "a-metrics-token-of-some-length"


@dataclass
class Live:
    server: LiveServer
    token: str
    database_url: str

    @property
    def base(self) -> str:
        return self.server.base


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('live')}/gatehouse.sqlite3"
        drop = None
    else:
        base = postgres_base_url("PostgreSQL NOT TESTED for subscriptions")
        name = f"gatehouse_subs_{uuid.uuid4().hex}"
        asyncio.run(execute(base, f'CREATE DATABASE "{name}"'))
        url = with_database(base, name)
        drop = (base, name)
    server = launch(
        url,
        ROOT,
        MAX_SUBSCRIPTIONS_PER_CREDENTIAL=str(CAP),
        METRICS_TOKEN=METRICS_TOKEN,
    )
    server.wait_ready()
    token = session(server)
    try:
        yield Live(server, token, url)
    finally:
        server.stop()
        # Sent in every `connection_init` of the package's cases: never in a log line.
        assert token not in server.output
        if drop is not None:
            asyncio.run(execute(drop[0], f'DROP DATABASE IF EXISTS "{drop[1]}" WITH (FORCE)'))
