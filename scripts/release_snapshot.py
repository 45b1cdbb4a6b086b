"""Freeze a release's database for the upgrade tests: `python scripts/release_snapshot.py COMMIT`.

Runs that commit's own `python -m gatehouse serve` (from `git archive`, with this
checkout's virtualenv) on a new SQLite file and a new PostgreSQL database, fills them
through its GraphQL API as an operator would (a user, keys, counted calls, a revoked key,
and whatever audit rows that release writes), stops it and writes
tests/releases/<commit>/{sqlite.sql,postgres.sql,release.json}. tests/ops/test_upgrades.py
upgrades every snapshot there with the current code. Take one at every release; the
snapshots are committed because a CI clone may be shallow. Needs TEST_DATABASE_URL.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "tests" / "releases"
ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "a long enough password"  # noqa: S105 - the test suite's own admin
KEY_CALLS = 3

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
CREATE_USER = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }"
CREATE_KEY = "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }"
REVOKE_KEY = "mutation($id: ID!) { revokeKey(id: $id) { id } }"
ME = "{ me { email } }"


def git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True).stdout  # noqa: S603, S607


def graphql(base: str, query: str, token: str | None = None, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(
        f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers
    ).json()
    if answer.get("errors"):
        raise RuntimeError(f"{query}: {answer['errors']}")
    return answer["data"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(source: Path, database_url: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(source),
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
        cwd=source,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        return process, base
    process.kill()
    raise RuntimeError(f"the release did not start:\n{process.communicate()[0]}")


def fill(base: str) -> dict[str, Any]:
    """What an operator of that release would have: the facts the upgrade test checks."""
    token = graphql(base, LOGIN, e=ADMIN_EMAIL, p=ADMIN_PASSWORD)["login"]["token"]
    member = {
        "email": "member@example.com",
        "displayName": "Member",
        "password": "another long password",
        "roles": ["ADMIN"],
    }
    graphql(base, CREATE_USER, token, i=member)
    kept = graphql(base, CREATE_KEY, token, i={"name": "deploy", "scopes": ["READ", "WRITE"]})
    retired = graphql(base, CREATE_KEY, token, i={"name": "retired", "scopes": ["READ"]})
    graphql(base, REVOKE_KEY, token, id=retired["createApiKey"]["apiKey"]["id"])
    secret = kept["createApiKey"]["secret"]
    for _ in range(KEY_CALLS):
        graphql(base, ME, secret)
    return {
        "users": [ADMIN_EMAIL, member["email"]],
        "keys": {"deploy": "ACTIVE", "retired": "REVOKED"},
        "key_secret": secret,
        "key_calls": KEY_CALLS,
    }


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=30)[0]
    if process.returncode not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
        raise RuntimeError(f"the release did not stop cleanly:\n{output}")


def dump_sqlite(path: Path) -> str:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return "\n".join(connection.iterdump()) + "\n"


def dump_postgres(url: str) -> str:
    dumped = subprocess.run(  # noqa: S603
        ["pg_dump", "--no-owner", "--no-privileges", "--inserts", "--dbname", url],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # psql meta-commands (\restrict since 15.14) mean nothing to a driver; neither do comments.
    lines = [line for line in dumped.splitlines() if not line.startswith(("\\", "--"))]
    return "\n".join(line for line in lines if line.strip()) + "\n"


def psql(url: str, statement: str) -> None:
    subprocess.run(["psql", "--quiet", "--dbname", url, "-c", statement], check=True)  # noqa: S603, S607


def snapshot(commit: str, postgres_base: str) -> Path:
    full = git("rev-parse", commit).decode().strip()
    target = RELEASES / full[:7]
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temporary:
        source = Path(temporary) / "source"
        source.mkdir()
        with tarfile.open(fileobj=io.BytesIO(git("archive", full))) as archive:
            archive.extractall(source, filter="data")
        sqlite_file = Path(temporary) / "gatehouse.sqlite3"
        process, base = serve(source, f"sqlite://{sqlite_file}")
        facts = fill(base)
        stop(process)
        (target / "sqlite.sql").write_text(dump_sqlite(sqlite_file))

        name = f"gatehouse_snapshot_{uuid.uuid4().hex}"
        url = urlunsplit(urlsplit(postgres_base)._replace(path=f"/{name}"))
        psql(postgres_base, f'CREATE DATABASE "{name}"')
        try:
            process, base = serve(source, url)
            postgres_facts = fill(base)
            stop(process)
            (target / "postgres.sql").write_text(dump_postgres(url))
        finally:
            psql(postgres_base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    migrations = git("ls-tree", "--name-only", full, "models/migrations/").decode().split()
    release = {
        "commit": full,
        "subject": git("log", "-1", "--format=%s", full).decode().strip(),
        "migrations": sorted(
            Path(path).stem for path in migrations if Path(path).name[:4].isdigit()
        ),
        "sqlite": facts,
        "postgres": postgres_facts,
    }
    (target / "release.json").write_text(json.dumps(release, indent=2) + "\n")
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(
        snapshot(
            sys.argv[1],
            os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
        )
    )
