"""The key lifecycle settings: defaults, casts, and one-line errors naming the variable."""

from __future__ import annotations

import pytest

from core.config import ConfigError, Settings
from tests.support.webhook_receiver import SECRET


def load(**environ: str) -> Settings:
    return Settings.load(environ=environ, env_file=None)


def test_defaults() -> None:
    settings = load()

    assert settings.max_roll_grace_seconds == 604_800
    assert settings.max_key_lifetime_days is None
    assert settings.expiry_warning_days == 7
    assert settings.revoke_unused_after_days is None
    assert (settings.webhook_url, settings.webhook_secret) == (None, None)


def test_every_variable_is_read_and_cast() -> None:
    settings = load(
        MAX_ROLL_GRACE_SECONDS="60",
        MAX_KEY_LIFETIME_DAYS="90",
        EXPIRY_WARNING_DAYS="14",
        REVOKE_UNUSED_AFTER_DAYS="365",
        WEBHOOK_URL="https://hooks.example.com/gatehouse",
        WEBHOOK_SECRET=SECRET,
    )

    assert settings.max_roll_grace_seconds == 60
    assert settings.max_key_lifetime_days == 90
    assert settings.expiry_warning_days == 14
    assert settings.revoke_unused_after_days == 365
    assert settings.webhook_url == "https://hooks.example.com/gatehouse"
    assert str(settings.webhook_secret) == SECRET
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"MAX_ROLL_GRACE_SECONDS": "-1"}, "MAX_ROLL_GRACE_SECONDS"),
        ({"MAX_KEY_LIFETIME_DAYS": "0"}, "MAX_KEY_LIFETIME_DAYS"),
        ({"EXPIRY_WARNING_DAYS": "soon"}, "EXPIRY_WARNING_DAYS"),
        ({"REVOKE_UNUSED_AFTER_DAYS": "0"}, "REVOKE_UNUSED_AFTER_DAYS"),
        ({"WEBHOOK_URL": "ftp://example.com", "WEBHOOK_SECRET": SECRET}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://example.com/hook"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "plain words"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "whsec_c2hvcnQ="}, "WEBHOOK_SECRET"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(
    environ: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load(**environ)

    message = str(refused.value)
    assert message.startswith(variable)
    assert "\n" not in message
    assert SECRET not in message
