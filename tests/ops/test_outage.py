"""Readiness and outages on a live server: /readyz says whether this process can serve,
logging one line when that changes; a database outage answers INTERNAL with HTTP 503 and
one log line per request, never a traceback."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from core.errors import RateLimitedError
from core.outage import database_unavailable
from tests.support.documents import LIVE_LOGIN
from tests.support.live_server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LiveServer,
    admin_sql,
    end_sessions,
    launch,
    postgres_base_url,
)

CREATE_KEY = 'mutation { createApiKey(input: {name: "probe", scopes: [READ]}) { secret } }'
RECOVERY_SECONDS = 30


def graphql(server: LiveServer, query: str, **headers: str) -> httpx.Response:
    variables = {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD}
    return httpx.post(
        f"{server.base}/graphql",
        json={"query": query, "variables": variables if "$e" in query else {}},
        headers=headers,
        timeout=30,
    )


def wait_until_ready(server: LiveServer) -> None:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while httpx.get(f"{server.base}/readyz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover"
        time.sleep(0.1)


def test_readyz_turns_503_while_the_sqlite_file_is_gone_and_logs_it_once(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    server = launch(f"sqlite://{database}", tmp_path)
    server.wait_ready()
    try:
        database.rename(tmp_path / "moved-away.sqlite3")
        gone = [httpx.get(f"{server.base}/readyz").status_code for _ in range(3)]
        (tmp_path / "moved-away.sqlite3").rename(database)
        back = httpx.get(f"{server.base}/readyz").status_code
    finally:
        exit_code = server.stop()

    assert gone == [503, 503, 503]
    assert back == 200
    assert server.output.count("not ready:") == 1
    assert f"the database file {database} was removed" in server.output
    assert server.output.count("ready again") == 1
    assert "Traceback" not in server.output
    assert exit_code == 0


def test_readyz_turns_503_when_the_sqlite_file_is_replaced(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    server = launch(f"sqlite://{database}", tmp_path)
    server.wait_ready()
    try:
        replacement = tmp_path / "other.sqlite3"
        replacement.write_bytes(database.read_bytes())
        replacement.replace(database)
        status = httpx.get(f"{server.base}/readyz").status_code
    finally:
        server.stop()

    assert status == 503
    assert "was replaced since it was opened" in server.output


def test_a_postgres_outage_answers_503_internal_with_one_log_line_per_request(
    postgres_database: str, tmp_path: Path
) -> None:
    admin_url = postgres_base_url()
    name = urlsplit(postgres_database).path.lstrip("/")
    server = launch(postgres_database, tmp_path)
    server.wait_ready()
    try:
        token = graphql(server, LIVE_LOGIN).json()["data"]["login"]["token"]
        key = graphql(server, CREATE_KEY, Authorization=f"Bearer {token}").json()
        secret = key["data"]["createApiKey"]["secret"]

        # The database goes away under the running server: its sessions are ended and
        # new ones find no such database.
        admin_sql(admin_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        end_sessions(admin_url, name)
        admin_sql(admin_url, f'ALTER DATABASE "{name}" RENAME TO "{name}_away"')
        admin_sql(admin_url, f'ALTER DATABASE "{name}_away" ALLOW_CONNECTIONS true')
        try:
            keyed = graphql(server, "{ me { id } }", **{"X-API-Key": secret})
            anonymous = graphql(server, LIVE_LOGIN)
            ready = httpx.get(f"{server.base}/readyz")
        finally:
            admin_sql(admin_url, f'ALTER DATABASE "{name}_away" RENAME TO "{name}"')
        wait_until_ready(server)
        recovered = graphql(server, "{ me { id } }", **{"X-API-Key": secret})
    finally:
        exit_code = server.stop()

    for answer in (keyed, anonymous):
        assert answer.status_code == 503
        assert [error["extensions"]["code"] for error in answer.json()["errors"]] == ["INTERNAL"]
        assert "gatehouse" not in answer.text.lower()
    assert ready.status_code == 503
    assert recovered.status_code == 200
    assert "errors" not in recovered.json()
    assert server.output.count("database unavailable") == 2
    assert "Traceback" not in server.output
    assert exit_code == 0


def test_readyz_turns_503_while_postgres_is_read_only(
    postgres_database: str, tmp_path: Path
) -> None:
    admin_url = postgres_base_url()
    name = urlsplit(postgres_database).path.lstrip("/")
    server = launch(postgres_database, tmp_path)
    server.wait_ready()
    try:
        admin_sql(admin_url, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        end_sessions(admin_url, name)
        statuses = [httpx.get(f"{server.base}/readyz").status_code for _ in range(3)]
        admin_sql(admin_url, f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        end_sessions(admin_url, name)
        wait_until_ready(server)
    finally:
        server.stop()

    # The first probe may meet a connection that was just ended; the next are read-only.
    assert statuses[-1] == 503
    assert "PostgreSQL is read-only" in server.output
    assert "ready again" in server.output
    assert "Traceback" not in server.output


def _raised_from(error: Exception, cause: BaseException) -> Exception:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise error from inner
    except Exception as outer:  # noqa: BLE001 - returned for inspection
        return outer


@pytest.mark.parametrize(
    ("error", "is_outage"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (sqlite3.OperationalError("attempt to write a readonly database"), True),
        (_raised_from(RuntimeError("wrapped"), ConnectionResetError(104, "reset")), True),
        (_raised_from(RuntimeError("wrapped"), OSError(5, "I/O error")), False),
        (sqlite3.OperationalError("no such column: nope"), False),
        (ValueError("a bug"), False),
        (_raised_from(RateLimitedError(1, "busy"), TimeoutError()), False),
    ],
    ids=["refused", "sqlite-read-only", "wrapped", "io-elsewhere", "sql-bug", "bug", "limited"],
)
def test_outages_are_told_apart_from_bugs_and_answers(error: Exception, is_outage: bool) -> None:
    assert (database_unavailable(error) is not None) == is_outage


def test_a_file_missing_outside_the_database_is_a_bug_not_an_outage(tmp_path: Path) -> None:
    # A static file (GraphiQL's page, say) that is not there says nothing of the database.
    with pytest.raises(FileNotFoundError) as missing:
        (tmp_path / "not-installed.html").read_text()

    assert database_unavailable(missing.value) is None


async def test_a_missing_postgres_socket_is_an_outage_though_it_is_a_missing_file() -> None:
    # The same FileNotFoundError, met by the driver: PostgreSQL's Unix socket is not there.
    with pytest.raises(FileNotFoundError) as missing:
        await asyncpg.connect(host="/nonexistent-gatehouse-socket-dir", user="x", database="x")

    assert database_unavailable(missing.value) == (
        "FileNotFoundError: [Errno 2] No such file or directory"
    )
