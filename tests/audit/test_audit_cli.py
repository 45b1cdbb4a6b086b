"""The CLI's changes are audited as the system, and `prune-audit` empties the log by age."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.cli import Gatehouse, rows

FIRST_PASSWORD = "the first long password"
SECOND_PASSWORD = "the second long password"
EVENTS = "SELECT actor_type, actor_id, action, target_type, target_id, outcome FROM audit_events"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "audit.sqlite3"


@pytest.fixture
def cli(tmp_path: Path, database: Path) -> Gatehouse:
    return Gatehouse.on_sqlite(tmp_path, database)


def user_id(database: Path, email: str) -> int:
    ((found,),) = rows(database, "SELECT id FROM users WHERE email = ?", email)
    assert isinstance(found, int)
    return found


def test_create_user_and_reset_password_are_audited_as_the_system(
    cli: Gatehouse, database: Path
) -> None:
    assert cli("create-user", "--email", "Ops@B.co", stdin=FIRST_PASSWORD).returncode == 0
    assert cli("reset-password", "--email", "ops@b.co", stdin=SECOND_PASSWORD).returncode == 0

    target = user_id(database, "ops@b.co")
    assert rows(database, EVENTS + " ORDER BY id") == [
        ("system", None, "user.create", "user", target, "OK"),
        ("system", None, "user.reset_password", "user", target, "OK"),
    ]
    stored = " ".join(str(row) for row in rows(database, "SELECT * FROM audit_events"))
    assert FIRST_PASSWORD not in stored
    assert SECOND_PASSWORD not in stored
    assert "argon2" not in stored


def test_a_refused_create_user_is_audited_with_its_code(cli: Gatehouse, database: Path) -> None:
    assert cli("create-user", "--email", "ops@b.co", stdin=FIRST_PASSWORD).returncode == 0

    assert cli("create-user", "--email", "OPS@b.co", stdin=SECOND_PASSWORD).returncode == 1

    assert rows(database, "SELECT action, outcome FROM audit_events ORDER BY id") == [
        ("user.create", "OK"),
        ("user.create", "CONFLICT"),
    ]


def age_every_event_but_the_newest(database: Path, years: int) -> None:
    """Move events back in time, in the stored format whatever it is, as a real old row."""
    with closing(sqlite3.connect(database)) as connection:
        events = connection.execute("SELECT id, at FROM audit_events ORDER BY id").fetchall()
        for event_id, at in events[:-1]:
            older = f"{int(at[:4]) - years:04d}{at[4:]}"
            connection.execute("UPDATE audit_events SET at = ? WHERE id = ?", (older, event_id))
        connection.commit()


def test_prune_audit_deletes_events_older_than_the_retention(
    cli: Gatehouse, database: Path
) -> None:
    for number in range(3):
        email = f"user{number}@b.co"
        assert cli("create-user", "--email", email, stdin=FIRST_PASSWORD).returncode == 0
    age_every_event_but_the_newest(database, years=2)

    finished = cli("prune-audit", AUDIT_RETENTION_DAYS="400")

    assert finished.returncode == 0, finished.stderr
    assert "pruned 2 audit events older than 400 days" in finished.stderr
    assert rows(database, "SELECT target_id FROM audit_events") == [
        (user_id(database, "user2@b.co"),)
    ]
    again = cli("prune-audit", AUDIT_RETENTION_DAYS="400")
    assert "pruned 0 audit events" in again.stderr


def test_prune_audit_keeps_a_year_by_default(cli: Gatehouse, database: Path) -> None:
    assert cli("create-user", "--email", "a@b.co", stdin=FIRST_PASSWORD).returncode == 0
    assert cli("create-user", "--email", "b@b.co", stdin=FIRST_PASSWORD).returncode == 0

    finished = cli("prune-audit")

    assert finished.returncode == 0, finished.stderr
    assert "older than 365 days" in finished.stderr
    assert len(rows(database, "SELECT id FROM audit_events")) == 2


@pytest.mark.parametrize("value", ["0", "many", "-5"])
def test_a_malformed_retention_is_a_configuration_error(cli: Gatehouse, value: str) -> None:
    finished = cli("prune-audit", AUDIT_RETENTION_DAYS=value)

    assert finished.returncode == 2
    assert "AUDIT_RETENTION_DAYS" in finished.stderr
    assert "Traceback" not in finished.stderr
