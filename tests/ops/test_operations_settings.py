"""The settings and commands an operator meets: shutdown grace, the Argon2 pool, the
version and each command's help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.config import ConfigError, Settings, available_cores, descriptor_limit
from tests.support.paths import ROOT


def load(**environ: str) -> Settings:
    return Settings.load(environ=environ, env_file=None)


def test_operations_defaults() -> None:
    settings = load()

    assert settings.shutdown_grace_seconds == 10
    assert settings.password_hash_concurrency == available_cores()
    assert settings.password_hash_queue_seconds == 5
    assert settings.header_timeout_seconds == 10
    assert settings.max_connections_per_address == 100
    assert settings.max_connections is None  # the descriptor limit less 100
    assert settings.min_free_disk_mb == 64
    assert settings.readiness_requires_redis is False
    assert settings.allow_new_database is False


def test_connection_and_readiness_settings_are_read_and_cast() -> None:
    settings = load(
        HEADER_TIMEOUT_SECONDS="2.5",
        MAX_CONNECTIONS_PER_ADDRESS="7",
        MAX_CONNECTIONS="200",
        MIN_FREE_DISK_MB="0",
        READINESS_REQUIRES_REDIS="true",
        ALLOW_NEW_DATABASE="yes",
    )

    assert settings.header_timeout_seconds == 2.5
    assert settings.max_connections_per_address == 7
    assert settings.max_connections == 200
    assert settings.min_free_disk_mb == 0
    assert settings.readiness_requires_redis is True
    assert settings.allow_new_database is True


def test_max_connections_must_leave_descriptors_for_the_rest() -> None:
    too_many = str(descriptor_limit())

    with pytest.raises(ConfigError, match=r"MAX_CONNECTIONS: .*ulimit -n"):
        load(MAX_CONNECTIONS=too_many)


def test_operations_settings_are_read_and_cast() -> None:
    settings = load(
        SHUTDOWN_GRACE_SECONDS="2.5",
        PASSWORD_HASH_CONCURRENCY="3",
        PASSWORD_HASH_QUEUE_SECONDS="0.5",
    )

    assert settings.shutdown_grace_seconds == 2.5
    assert settings.password_hash_concurrency == 3
    assert settings.password_hash_queue_seconds == 0.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SHUTDOWN_GRACE_SECONDS", "0"),
        ("SHUTDOWN_GRACE_SECONDS", "soon"),
        ("PASSWORD_HASH_CONCURRENCY", "0"),
        ("PASSWORD_HASH_CONCURRENCY", "1.5"),
        ("PASSWORD_HASH_QUEUE_SECONDS", "-1"),
        ("HEADER_TIMEOUT_SECONDS", "0"),
        ("MAX_CONNECTIONS_PER_ADDRESS", "0"),
        ("MAX_CONNECTIONS", "3"),
        ("MIN_FREE_DISK_MB", "-1"),
        ("READINESS_REQUIRES_REDIS", "maybe"),
        ("ALLOW_NEW_DATABASE", "2"),
    ],
)
def test_a_bad_operations_setting_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load(**{name: value})


def gatehouse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "gatehouse", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_prints_the_installed_version() -> None:
    finished = gatehouse("--version")

    assert finished.returncode == 0
    assert finished.stdout.strip().startswith("gatehouse ")
    assert finished.stdout.split()[1][0].isdigit()


@pytest.mark.parametrize(
    ("command", "explains"),
    [
        ("serve", "SHUTDOWN_GRACE_SECONDS"),
        ("migrate", "one process at a time"),
        ("create-user", "standard input"),
        ("reset-password", "end all of their sessions"),
        ("print-schema", "SDL"),
    ],
)
def test_each_command_explains_itself_in_its_help(command: str, explains: str) -> None:
    finished = gatehouse(command, "--help")

    assert finished.returncode == 0
    assert explains in finished.stdout
