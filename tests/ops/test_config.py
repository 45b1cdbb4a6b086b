import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ConfigError, Settings
from tests.support.paths import ROOT


def load(**environ: str) -> Settings:
    return Settings.load(environ=environ, env_file=None)


def test_defaults_match_the_contract() -> None:
    settings = load()

    assert settings.database_url == "sqlite://data/gatehouse.sqlite3"
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.environment == "development"
    assert settings.is_production is False
    assert settings.admin_email is None
    assert settings.admin_password is None
    assert settings.session_ttl_hours == 12


def test_every_variable_is_read_and_cast() -> None:
    settings = load(
        DATABASE_URL="postgres://gatehouse@db.internal:5432/gatehouse",
        HOST="0.0.0.0",  # noqa: S104
        PORT="9000",
        GATEHOUSE_ENV="Production",
        ADMIN_EMAIL=" Root@Example.com ",
        ADMIN_PASSWORD="a long admin password",
        SESSION_TTL_HOURS="1.5",
    )

    assert settings.database_url == "postgres://gatehouse@db.internal:5432/gatehouse"
    assert settings.host == "0.0.0.0"  # noqa: S104
    assert settings.port == 9000
    assert settings.is_production is True
    assert settings.admin_email == "root@example.com"
    assert str(settings.admin_password) == "a long admin password"
    assert settings.session_ttl_hours == 1.5


def test_the_admin_password_never_shows_in_the_settings_repr() -> None:
    settings = load(ADMIN_EMAIL="root@example.com", ADMIN_PASSWORD="a long admin password")

    assert "a long admin password" not in repr(settings)


def test_empty_variables_count_as_unset() -> None:
    settings = load(DATABASE_URL="", PORT="", GATEHOUSE_ENV="", ADMIN_EMAIL="", ADMIN_PASSWORD="")

    assert settings == load()


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        pytest.param({"DATABASE_URL": "nonsense://"}, "DATABASE_URL", id="unknown-scheme"),
        pytest.param({"DATABASE_URL": "not a url"}, "DATABASE_URL", id="no-scheme"),
        pytest.param({"DATABASE_URL": "sqlite://"}, "DATABASE_URL", id="no-path"),
        pytest.param(
            {"DATABASE_URL": "postgres://u@h:port/db"}, "DATABASE_URL", id="port-not-a-number"
        ),
        pytest.param({"PORT": "abc"}, "PORT", id="port-not-a-number"),
        pytest.param({"PORT": "0"}, "PORT", id="port-zero"),
        pytest.param({"PORT": "65536"}, "PORT", id="port-too-high"),
        pytest.param({"GATEHOUSE_ENV": "staging"}, "GATEHOUSE_ENV", id="unknown-environment"),
        pytest.param({"SESSION_TTL_HOURS": "0"}, "SESSION_TTL_HOURS", id="ttl-zero"),
        pytest.param({"SESSION_TTL_HOURS": "soon"}, "SESSION_TTL_HOURS", id="ttl-not-a-number"),
        pytest.param({"ADMIN_EMAIL": "root@example.com"}, "ADMIN_PASSWORD", id="email-only"),
        pytest.param(
            {"ADMIN_PASSWORD": "a long admin password"}, "ADMIN_EMAIL", id="password-only"
        ),
        pytest.param(
            {"ADMIN_EMAIL": "root@example.com", "ADMIN_PASSWORD": "too short"},
            "ADMIN_PASSWORD",
            id="password-too-short",
        ),
        pytest.param(
            {"DATABASE_URL": "mysql://gatehouse@localhost/gatehouse"},
            "DATABASE_URL",
            id="no-driver-installed",
        ),
        pytest.param(
            {"ADMIN_EMAIL": "root", "ADMIN_PASSWORD": "a long admin password"},
            "ADMIN_EMAIL",
            id="email-malformed",
        ),
    ],
)
def test_a_bad_setting_raises_config_error_naming_the_variable(
    environ: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError, match=variable) as raised:
        Settings.load(environ=environ, env_file=None)

    if "ADMIN_PASSWORD" in environ:
        assert environ["ADMIN_PASSWORD"] not in str(raised.value)


def test_a_dotenv_file_supplies_variables_the_environment_lacks(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=9001\nHOST=10.0.0.1\n")

    settings = Settings.load(environ={"PORT": "9002"}, env_file=env_file)

    assert (settings.host, settings.port) == ("10.0.0.1", 9002)


def test_a_missing_dotenv_file_is_no_error(tmp_path: Path) -> None:
    settings = Settings.load(environ={}, env_file=tmp_path / "absent.env")

    assert settings == load()


def test_serve_with_a_bad_database_url_exits_with_one_line_and_no_traceback(
    tmp_path: Path,
) -> None:
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "DATABASE_URL": "nonsense://"}

    finished = subprocess.run(
        [sys.executable, "-m", "gatehouse", "serve"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode != 0
    assert finished.stdout == ""
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert "DATABASE_URL" in lines[0]
    assert "Traceback" not in finished.stderr
    assert not (tmp_path / "data").exists()
