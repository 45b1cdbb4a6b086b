import logging
import re
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from httpx import AsyncClient
from starlette.datastructures import Secret

from auth.runtime import build_runtime
from core.config import ConfigError
from gatehouse.bootstrap import ensure_first_super_admin
from models import Role, User
from tests.support.cli import Gatehouse, rows
from tests.support.database import SETTINGS
from tests.support.factories import make_user
from tests.support.graphql import login

FIRST_PASSWORD = "the first long password"
SECOND_PASSWORD = "the second long password"
ADMIN_PASSWORD = "the admin's long password"
TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "x.sqlite3"


@pytest.fixture
def gatehouse(tmp_path: Path, database_file: Path) -> Gatehouse:
    return Gatehouse.on_sqlite(tmp_path, database_file)


def stored_user(database_file: Path, email: str) -> tuple[str, str, str]:
    found = rows(
        database_file,
        "SELECT roles_encoded, status, password_hash FROM users WHERE email = ?",
        email,
    )
    assert len(found) == 1, found
    roles, status, password_hash = found[0]
    return str(roles), str(status), str(password_hash)


def assert_clean_failure(finished: subprocess.CompletedProcess[str]) -> str:
    """A refusal: non-zero exit, one `gatehouse: …` line for the operator, no traceback."""
    assert finished.returncode != 0
    assert "Traceback" not in finished.stderr
    messages = [line for line in finished.stderr.splitlines() if line.startswith("gatehouse:")]
    assert len(messages) == 1, finished.stderr
    return messages[0]


@pytest.fixture
def created(gatehouse: Gatehouse) -> None:
    finished = gatehouse(
        "create-user", "--email", "A@B.co", "--role", "ADMIN", stdin=FIRST_PASSWORD + "\n"
    )
    assert finished.returncode == 0, finished.stderr


# --- commands -------------------------------------------------------------------------


def test_create_user_reads_the_password_from_stdin(
    gatehouse: Gatehouse, database_file: Path
) -> None:
    finished = gatehouse(
        "create-user", "--email", "A@B.co", "--role", "ADMIN", stdin=FIRST_PASSWORD + "\n"
    )

    assert finished.returncode == 0, finished.stderr
    roles, status, password_hash = stored_user(database_file, "a@b.co")
    assert (roles, status) == (",ADMIN,", "ACTIVE")
    assert PasswordHasher().verify(password_hash, FIRST_PASSWORD)
    for path in database_file.parent.glob(database_file.name + "*"):  # with -wal and -shm
        assert FIRST_PASSWORD.encode() not in path.read_bytes()


def test_create_user_never_prints_the_password(gatehouse: Gatehouse) -> None:
    finished = gatehouse("create-user", "--email", "quiet@b.co", stdin=FIRST_PASSWORD + "\n")

    assert finished.returncode == 0, finished.stderr
    assert FIRST_PASSWORD not in finished.stdout + finished.stderr


def test_create_user_makes_a_super_admin_unless_told_otherwise(
    gatehouse: Gatehouse, database_file: Path
) -> None:
    finished = gatehouse("create-user", "--email", "root@b.co", stdin=FIRST_PASSWORD)

    assert finished.returncode == 0, finished.stderr
    assert stored_user(database_file, "root@b.co")[0] == ",SUPER_ADMIN,"


def test_create_user_refuses_a_taken_email(
    gatehouse: Gatehouse, database_file: Path, created: None
) -> None:
    finished = gatehouse("create-user", "--email", "a@B.CO", stdin=SECOND_PASSWORD)

    assert "already exists" in assert_clean_failure(finished)
    assert PasswordHasher().verify(stored_user(database_file, "a@b.co")[2], FIRST_PASSWORD)


@pytest.mark.parametrize("password", ["", "too short", "x" * 1025])
def test_create_user_refuses_a_password_of_the_wrong_length(
    gatehouse: Gatehouse, database_file: Path, password: str
) -> None:
    finished = gatehouse("create-user", "--email", "a@b.co", stdin=password + "\n")

    message = assert_clean_failure(finished)
    assert "12" in message
    assert "password" in message
    assert rows(database_file, "SELECT email FROM users") == []


def test_reset_password_replaces_the_password_from_stdin(
    gatehouse: Gatehouse, database_file: Path, created: None
) -> None:
    finished = gatehouse("reset-password", "--email", "a@B.co", stdin=SECOND_PASSWORD + "\n")

    assert finished.returncode == 0, finished.stderr
    password_hash = stored_user(database_file, "a@b.co")[2]
    assert PasswordHasher().verify(password_hash, SECOND_PASSWORD)
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(password_hash, FIRST_PASSWORD)


def test_reset_password_ends_the_users_sessions(
    gatehouse: Gatehouse, database_file: Path, created: None
) -> None:
    now = datetime.now(UTC)
    with closing(sqlite3.connect(database_file)) as connection, connection:
        connection.execute(
            "INSERT INTO sessions (user_id, token_hash, created_at, expires_at) "
            "SELECT id, ?, ?, ? FROM users WHERE email = 'a@b.co'",
            ("0" * 64, now.isoformat(), (now + timedelta(hours=1)).isoformat()),
        )

    finished = gatehouse("reset-password", "--email", "a@b.co", stdin=SECOND_PASSWORD)

    assert finished.returncode == 0, finished.stderr
    assert rows(database_file, "SELECT * FROM sessions") == []


def test_reset_password_refuses_a_too_short_password(
    gatehouse: Gatehouse, database_file: Path, created: None
) -> None:
    finished = gatehouse("reset-password", "--email", "a@b.co", stdin="too short\n")

    assert "12" in assert_clean_failure(finished)
    assert PasswordHasher().verify(stored_user(database_file, "a@b.co")[2], FIRST_PASSWORD)


def test_reset_password_of_an_unknown_email_fails_cleanly(
    gatehouse: Gatehouse, created: None
) -> None:
    finished = gatehouse("reset-password", "--email", "nobody@b.co", stdin=SECOND_PASSWORD)

    assert "nobody@b.co" in assert_clean_failure(finished)


def test_migrate_is_idempotent(gatehouse: Gatehouse, database_file: Path) -> None:
    first = gatehouse("migrate")
    tables = rows(database_file, TABLES)
    second = gatehouse("migrate")

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert {"users", "sessions", "api_keys", "api_key_usage_days"} <= {name for (name,) in tables}
    assert rows(database_file, TABLES) == tables


def test_migrate_keeps_existing_rows(
    gatehouse: Gatehouse, database_file: Path, created: None
) -> None:
    finished = gatehouse("migrate")

    assert finished.returncode == 0, finished.stderr
    assert rows(database_file, "SELECT email FROM users") == [("a@b.co",)]


@pytest.mark.parametrize(
    ("database_url", "mentions"),
    [
        pytest.param("mysql://gatehouse@localhost/gatehouse", "DATABASE_URL", id="no-driver"),
        pytest.param(
            "postgres://no_such_role@127.0.0.1:5432/no_such_db", "database error", id="refused"
        ),
    ],
)
def test_a_database_that_cannot_be_used_fails_cleanly(
    gatehouse: Gatehouse, database_url: str, mentions: str
) -> None:
    finished = gatehouse("migrate", DATABASE_URL=database_url)

    assert mentions in assert_clean_failure(finished)


# --- the first super-admin ------------------------------------------------------------


@pytest.fixture
def cheap_hashing(db: None) -> None:
    build_runtime(SETTINGS).install()


async def test_first_start_creates_the_super_admin_from_the_settings(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    settings = replace(
        SETTINGS, admin_email="root@example.com", admin_password=Secret(ADMIN_PASSWORD)
    )

    with caplog.at_level(logging.DEBUG):
        await ensure_first_super_admin(settings)

    admin = await User.get(email="root@example.com")
    assert admin.roles == [Role.SUPER_ADMIN]
    assert ADMIN_PASSWORD not in caplog.text
    await login(client, admin, ADMIN_PASSWORD)


async def test_first_start_without_settings_logs_a_random_password_once(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await ensure_first_super_admin(SETTINGS)
        await ensure_first_super_admin(SETTINGS)

    admin = await User.get(email="admin@localhost")
    assert admin.roles == [Role.SUPER_ADMIN]
    assert await User.all().count() == 1
    shown = [
        match.group(1)
        for record in caplog.records
        if (match := re.search(r"with password (\S+)", record.getMessage()))
    ]
    assert len(shown) == 1
    assert len(shown[0]) >= 12
    await login(client, admin, shown[0])


async def test_the_random_password_differs_between_databases(
    cheap_hashing: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await ensure_first_super_admin(SETTINGS)
        await User.all().delete()
        await ensure_first_super_admin(SETTINGS)

    shown = re.findall(r"with password (\S+)", caplog.text)
    assert len(shown) == 2
    assert shown[0] != shown[1]


async def test_a_database_with_users_gets_no_new_super_admin(
    cheap_hashing: None, caplog: pytest.LogCaptureFixture
) -> None:
    existing = await make_user(roles=(Role.READ_ONLY,))

    with caplog.at_level(logging.INFO):
        await ensure_first_super_admin(SETTINGS)

    assert [user.email for user in await User.all()] == [existing.email]
    assert "password" not in caplog.text


async def test_a_malformed_admin_email_is_a_config_error_at_first_start(
    cheap_hashing: None,
) -> None:
    settings = replace(SETTINGS, admin_email="root@", admin_password=Secret(ADMIN_PASSWORD))

    with pytest.raises(ConfigError, match="ADMIN_EMAIL"):
        await ensure_first_super_admin(settings)

    assert await User.all().count() == 0
