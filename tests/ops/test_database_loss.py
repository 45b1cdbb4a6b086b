"""A SQLite database that is lost or out of room is noticed: `/readyz` turns 503, writes are
refused rather than acknowledged into a deleted file, and a restart does not quietly start an
empty database with a new super-admin where one was kept."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.documents import LOGIN_AS_ADMIN
from tests.support.live_server import ADMIN_PASSWORD, LiveServer, environment, free_port, launch

CREATE_KEY = 'mutation { createApiKey(input: {name: "%s", scopes: [READ]}) { secret } }'


def sign_in(server: LiveServer) -> dict[str, str]:
    body = httpx.post(
        f"{server.base}/graphql", json={"query": LOGIN_AS_ADMIN % ADMIN_PASSWORD}
    ).json()
    return {"Authorization": f"Bearer {body['data']['login']['token']}"}


def create_key(server: LiveServer, headers: dict[str, str], name: str) -> httpx.Response:
    return httpx.post(f"{server.base}/graphql", json={"query": CREATE_KEY % name}, headers=headers)


def serve_once(database: Path, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """`serve` expected to stop at start-up."""
    return subprocess.run(
        [sys.executable, "-m", "gatehouse", "serve"],
        cwd=cwd,
        env=environment(f"sqlite://{database}", free_port(), **extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_deleted_database_refuses_writes_and_a_restart_does_not_start_afresh(
    tmp_path: Path,
) -> None:
    database = tmp_path / "db.sqlite3"
    server = launch(f"sqlite://{database}", tmp_path)
    server.wait_ready()
    try:
        bearer = sign_in(server)
        assert "errors" not in create_key(server, bearer, "before").json()
        key = create_key(server, bearer, "key for calls").json()["data"]["createApiKey"]
        database.unlink()

        write = create_key(server, bearer, "after")
        key_call = httpx.post(
            f"{server.base}/graphql",
            json={"query": "{ me { id } }"},
            headers={"X-API-Key": key["secret"]},
        )
        ready = httpx.get(f"{server.base}/readyz")
    finally:
        server.stop()

    assert (write.status_code, write.json()["errors"][0]["extensions"]["code"]) == (
        503,
        "INTERNAL",
    )
    assert key_call.status_code == 503
    assert ready.status_code == 503
    assert f"database unavailable: the database file {database} was removed" in server.output

    refused = serve_once(database, tmp_path)

    assert refused.returncode == 1
    last_line = refused.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"gatehouse: database error: DATABASE_URL: {database} is missing")
    assert "ALLOW_NEW_DATABASE=true" in last_line
    assert not database.exists()
    assert "created super-admin" not in refused.stderr + refused.stdout


def test_allow_new_database_starts_an_empty_one_and_says_so(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    first = launch(f"sqlite://{database}", tmp_path)
    first.wait_ready()
    first.stop()
    assert (tmp_path / "db.sqlite3.deployment").exists()
    database.unlink()

    again = launch(f"sqlite://{database}", tmp_path, ALLOW_NEW_DATABASE="true")
    again.wait_ready()
    again.stop()

    assert "ALLOW_NEW_DATABASE is set: starting an empty database" in again.output
    assert "created super-admin" in again.output


def test_a_database_that_was_never_made_starts_without_the_setting(tmp_path: Path) -> None:
    server = launch(f"sqlite://{tmp_path}/fresh/db.sqlite3", tmp_path)
    server.wait_ready()
    server.stop()

    assert "created super-admin" in server.output
    assert (tmp_path / "fresh" / "db.sqlite3.deployment").exists()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs of its own: a disk the test may fill."""
    mount_point = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
    mount_point.mkdir()
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        pytest.skip("DISK FULL NOT TESTED: no mount command")
    mounted = subprocess.run(  # noqa: S603
        [mount, "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"DISK FULL NOT TESTED: cannot mount a tmpfs ({mounted.stderr.strip()})")
    try:
        yield mount_point
    finally:
        subprocess.run([umount, "-l", str(mount_point)], check=False)  # noqa: S603


def test_readyz_turns_503_while_the_database_disk_is_nearly_full(
    small_disk: Path, tmp_path: Path
) -> None:
    server = launch(f"sqlite://{small_disk}/db.sqlite3", tmp_path, MIN_FREE_DISK_MB="2")
    server.wait_ready()
    filler = small_disk / "filler"
    try:
        ready_before = httpx.get(f"{server.base}/readyz").status_code
        with filler.open("wb") as out:
            out.write(b"\0" * (5 * 1024 * 1024 - 512 * 1024))
        nearly_full = httpx.get(f"{server.base}/readyz").status_code
        filler.unlink()
        room_again = httpx.get(f"{server.base}/readyz").status_code
    finally:
        server.stop()

    assert (ready_before, nearly_full, room_again) == (200, 503, 200)
    assert "below MIN_FREE_DISK_MB=2" in server.output
