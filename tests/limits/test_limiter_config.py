"""The limiter's settings: defaults, casts, one-line refusals naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from core.config import ConfigError, Settings
from tests.support.live_server import free_port, launch
from tests.support.paths import ROOT


def load(**environ: str) -> Settings:
    return Settings.load(environ=environ, env_file=None)


def test_limiter_defaults() -> None:
    settings = load()

    assert settings.redis_url is None
    assert settings.redis_key_prefix == "gatehouse"
    assert settings.trusted_proxies == ()
    assert settings.login_max_failures_per_account == 5
    assert settings.login_max_failures_per_address == 30
    assert settings.login_failure_window_seconds == 900
    assert settings.login_lock_seconds == 900


def test_limiter_variables_are_read_and_cast() -> None:
    settings = load(
        REDIS_URL="redis://:hunter2hunter2@cache.internal:6379/2",
        REDIS_KEY_PREFIX="portal-eu",
        TRUSTED_PROXIES=" 10.0.0.5, 10.1.0.0/16 ,::1 ",
        LOGIN_MAX_FAILURES_PER_ACCOUNT="3",
        LOGIN_MAX_FAILURES_PER_ADDRESS="100",
        LOGIN_FAILURE_WINDOW_SECONDS="600",
        LOGIN_LOCK_SECONDS="60",
    )

    assert str(settings.redis_url) == "redis://:hunter2hunter2@cache.internal:6379/2"
    assert "hunter2" not in repr(settings)
    assert settings.redis_key_prefix == "portal-eu"
    assert settings.trusted_proxies == ("10.0.0.5/32", "10.1.0.0/16", "::1/128")
    assert settings.login_max_failures_per_account == 3
    assert settings.login_max_failures_per_address == 100
    assert settings.login_failure_window_seconds == 600
    assert settings.login_lock_seconds == 60


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REDIS_URL", "http://cache:6379"),
        ("REDIS_URL", "cache:6379"),
        ("REDIS_KEY_PREFIX", "two words"),
        ("TRUSTED_PROXIES", "*"),
        ("TRUSTED_PROXIES", "10.0.0.5,proxy.internal"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"),
        ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
        ("LOGIN_MAX_FAILURES_PER_ADDRESS", "many"),
        ("LOGIN_FAILURE_WINDOW_SECONDS", "86401"),
        ("LOGIN_LOCK_SECONDS", "-5"),
    ],
)
def test_a_bad_limiter_setting_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{variable}: "):
        load(**{variable: value})


def test_serve_stops_with_one_line_when_redis_is_required_and_does_not_answer(
    tmp_path: Path,
) -> None:
    port = free_port()
    environ = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite://{tmp_path}/gatehouse.sqlite3",
        "REDIS_URL": f"redis://:redis-secret-pw@127.0.0.1:{port}/0",
        "READINESS_REQUIRES_REDIS": "true",
    }

    finished = subprocess.run(
        [sys.executable, "-m", "gatehouse", "serve"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines()[-1] == (
        f"gatehouse: REDIS_URL: Redis does not answer at 127.0.0.1:{port}"
    )
    assert "redis-secret-pw" not in finished.stderr + finished.stdout
    assert "Traceback" not in finished.stderr


def test_serve_starts_without_redis_unless_required_and_stays_ready(tmp_path: Path) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    server = launch(f"sqlite://{tmp_path}/gatehouse.sqlite3", tmp_path, REDIS_URL=down)
    server.wait_ready()

    ready = httpx.get(f"{server.base}/readyz")
    exit_code = server.stop()

    assert ready.status_code == 200
    assert exit_code == 0
    assert "Redis does not answer" in server.output
    assert "starting anyway" in server.output


def test_reset_password_says_so_in_one_line_when_redis_does_not_answer(tmp_path: Path) -> None:
    environ = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite://{tmp_path}/gatehouse.sqlite3",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "64",
        "ARGON2_PARALLELISM": "1",
    }
    created = subprocess.run(
        [sys.executable, "-m", "gatehouse", "create-user", "--email", "locked@example.com"],
        input="first long password\n",
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr

    reset = subprocess.run(
        [sys.executable, "-m", "gatehouse", "reset-password", "--email", "locked@example.com"],
        input="second long password\n",
        env={**environ, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert reset.returncode == 1
    assert reset.stderr.strip().splitlines()[-1].startswith("gatehouse: Redis (REDIS_URL) error:")
    assert "Traceback" not in reset.stderr
    assert "second long password" not in reset.stderr + reset.stdout
