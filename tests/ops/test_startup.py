"""Starting like production: every unusable database stops the start at once with one line,
the port is claimed before anything is written, and replicas started together all come up."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise
from tortoise.connection import get_connection

from gatehouse.database import apply_migrations, known_migrations, tortoise_config
from tests.support.documents import LIVE_LOGIN
from tests.support.live_server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    environment,
    execute,
    free_port,
    fresh_postgres_database,
    launch,
    postgres_base_url,
    with_database,
)

# Bounds a hang, which is the failure these tests exist for; not a timing assertion.
HANG_SECONDS = 60


def start(
    database_url: str, cwd: Path, *prefix: str, port: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [*prefix, sys.executable, "-m", "gatehouse", "serve"],
        cwd=cwd,
        env=environment(database_url, port or free_port()),
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        check=False,
    )


def refusal(finished: subprocess.CompletedProcess[str]) -> str:
    """Non-zero exit, no traceback, exactly one `gatehouse: …` line; that line."""
    assert finished.returncode != 0, finished.stdout + finished.stderr
    assert "Traceback" not in finished.stdout + finished.stderr
    lines = [line for line in finished.stderr.splitlines() if line.startswith("gatehouse:")]
    assert len(lines) == 1, finished.stderr
    assert "serving on" not in finished.stdout + finished.stderr
    return lines[0]


def without_root_privileges() -> tuple[str, ...]:
    """A command prefix under which file permissions apply: root ignores them, so drop the
    capabilities that let it."""
    if sys.platform != "linux":
        pytest.skip("NOT TESTED: file-permission checks need Linux")
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("NOT TESTED: running as root without setpriv to drop DAC capabilities")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner")


# --- SQLite -----------------------------------------------------------------------------


def test_a_database_path_that_is_a_directory_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "db.sqlite3").mkdir()

    line = refusal(start(f"sqlite://{tmp_path}/db.sqlite3", tmp_path))

    assert "is a directory" in line


def test_a_file_that_is_not_a_database_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "db.sqlite3").write_text("not a database, just text\n" * 100)

    line = refusal(start(f"sqlite://{tmp_path}/db.sqlite3", tmp_path))

    assert "not a database" in line


def test_an_unwritable_directory_stops_the_start(tmp_path: Path) -> None:
    prefix = without_root_privileges()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)

    line = refusal(start(f"sqlite://{locked}/sub/db.sqlite3", tmp_path, *prefix))

    assert "cannot write" in line
    assert "Permission denied" in line


def test_an_existing_database_in_a_read_only_directory_stops_the_start(tmp_path: Path) -> None:
    prefix = without_root_privileges()
    directory = tmp_path / "data"
    directory.mkdir()
    database = directory / "db.sqlite3"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE kept (id INTEGER)")
    directory.chmod(0o555)
    try:
        line = refusal(start(f"sqlite://{database}", tmp_path, *prefix))
    finally:
        directory.chmod(0o755)

    assert str(directory) in line
    assert not (directory / "db.sqlite3-wal").exists()


def test_a_read_only_database_file_stops_the_start(tmp_path: Path) -> None:
    prefix = without_root_privileges()
    database = tmp_path / "db.sqlite3"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE kept (id INTEGER)")
    database.chmod(0o444)

    line = refusal(start(f"sqlite://{database}", tmp_path, *prefix))

    assert "not readable and writable" in line


def test_a_port_in_use_stops_the_start_before_anything_is_written(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        line = refusal(start(f"sqlite://{tmp_path}/db.sqlite3", tmp_path, port=port))

    assert "cannot listen" in line
    assert "in use" in line
    assert list(tmp_path.iterdir()) == []


async def test_sqlite_runs_in_wal_mode_with_normal_sync_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    await Tortoise.init(config=tortoise_config(f"sqlite://{tmp_path}/db.sqlite3"))
    try:
        connection = get_connection("default")
        pragmas = [
            (await connection.execute_query(f"PRAGMA {name}"))[1][0][0]
            for name in ("journal_mode", "synchronous", "busy_timeout")
        ]
    finally:
        await Tortoise.close_connections()

    assert pragmas == ["wal", 1, 5000]  # synchronous 1 is NORMAL


# --- PostgreSQL -------------------------------------------------------------------------


def test_an_unreachable_postgres_stops_the_start(tmp_path: Path) -> None:
    line = refusal(start(f"postgres://postgres@127.0.0.1:{free_port()}/gatehouse", tmp_path))

    assert "cannot reach PostgreSQL" in line


def test_a_missing_postgres_database_stops_the_start(tmp_path: Path) -> None:
    url = with_database(postgres_base_url(), "gatehouse_no_such_database")

    line = refusal(start(url, tmp_path))

    assert 'no database "gatehouse_no_such_database"' in line


def test_an_unknown_postgres_role_stops_the_start(tmp_path: Path) -> None:
    base = postgres_base_url()
    url = "postgres://gatehouse_no_such_role@" + base.split("@", 1)[-1]

    line = refusal(start(url, tmp_path))

    assert 'role "gatehouse_no_such_role"' in line


# --- replicas started at once -----------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path}/shared.sqlite3"
        return
    async for url in fresh_postgres_database():
        yield url


def test_three_replicas_started_at_once_on_an_empty_database_all_come_up(
    empty_database: str, tmp_path: Path
) -> None:
    replicas = [launch(empty_database, tmp_path) for _ in range(3)]
    try:
        for replica in replicas:
            replica.wait_ready()
        tokens = []
        for replica in replicas:
            answer = httpx.post(
                f"{replica.base}/graphql",
                json={"query": LIVE_LOGIN, "variables": {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD}},
            ).json()
            tokens.append(answer["data"]["login"]["token"])
        users = httpx.post(
            f"{replicas[0].base}/graphql",
            json={"query": "{ users { totalCount } }"},
            headers={"Authorization": f"Bearer {tokens[0]}"},
        ).json()
    finally:
        exit_codes = [replica.stop() for replica in replicas]

    assert users["data"]["users"]["totalCount"] == 1
    assert exit_codes == [0, 0, 0], "\n\n".join(replica.output for replica in replicas)
    assert sum("migration apply done" in replica.output for replica in replicas) >= 1


# --- an older release on a newer schema -------------------------------------------------


async def test_a_schema_newer_than_the_release_stops_the_start(
    empty_database: str, tmp_path: Path
) -> None:
    # Given a database a later release has migrated (its record is all this one can see)
    await apply_migrations(empty_database)
    future = (
        "INSERT INTO tortoise_migrations (app, name, applied_at)"
        " VALUES ('models', '0099_from_a_newer_release', CURRENT_TIMESTAMP)"
    )
    if empty_database.startswith("sqlite"):
        with closing(sqlite3.connect(empty_database.removeprefix("sqlite://"))) as connection:
            connection.execute(future)
            connection.commit()
    else:
        await execute(empty_database, future)

    # When this release starts on it
    line = refusal(start(empty_database, tmp_path))

    # Then it names both versions and what to do, and serves nothing
    assert "0099_from_a_newer_release" in line
    assert f"up to {known_migrations()[-1]}" in line
    assert "upgrade Gatehouse or restore the backup" in line
