"""WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and WEBAUTHN_ORIGINS: defaults for local development,
settings a browser would refuse stopped at the start, and passkeys off in production until
the relying party is named."""

from __future__ import annotations

import httpx
import pytest

from core.config import ConfigError, Settings
from core.enums import Role
from gatehouse.app import create_app
from gatehouse.cli import _warn_without_webauthn_settings
from tests.support.database import SETTINGS
from tests.support.graphql import GraphQLClient
from tests.support.logging_capture import server_logging


def _load(**environ: str) -> Settings:
    return Settings.load(environ=environ, env_file=None)


def test_local_development_needs_no_setting() -> None:
    webauthn = _load().webauthn

    assert (webauthn.rp_id, webauthn.rp_name) == ("localhost", "Gatehouse")
    assert webauthn.origins == ("http://localhost:8000",)
    assert webauthn.enabled


def test_the_default_origin_follows_the_port_and_the_relying_party() -> None:
    assert _load(PORT="9100").webauthn.origins == ("http://localhost:9100",)
    named = _load(WEBAUTHN_RP_ID="Example.COM", GATEHOUSE_ENV="production").webauthn
    assert (named.rp_id, named.origins, named.enabled) == (
        "example.com",
        ("https://example.com",),
        True,
    )


def test_origins_on_the_relying_party_and_its_subdomains_are_accepted() -> None:
    webauthn = _load(
        WEBAUTHN_RP_ID="example.com",
        WEBAUTHN_ORIGINS="https://portal.example.com, https://example.com:8443/",
        WEBAUTHN_RP_NAME="Acme admin",
    ).webauthn

    assert webauthn.origins == ("https://portal.example.com", "https://example.com:8443")
    assert webauthn.rp_name == "Acme admin"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"WEBAUTHN_RP_ID": "127.0.0.1"}, "WEBAUTHN_RP_ID"),
        ({"WEBAUTHN_RP_ID": "https://example.com"}, "WEBAUTHN_RP_ID"),
        ({"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGINS": "https://evil.com"}, "ORIGINS"),
        ({"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGINS": "http://example.com"}, "ORIGINS"),
        ({"WEBAUTHN_ORIGINS": "localhost:8000"}, "WEBAUTHN_ORIGINS"),
        ({"WEBAUTHN_RP_NAME": "\x07"}, "WEBAUTHN_RP_NAME"),
    ],
)
def test_settings_a_browser_would_refuse_stop_the_start(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        _load(**environ)


def test_a_production_start_without_a_relying_party_warns_once() -> None:
    settings = _load(GATEHOUSE_ENV="production")
    assert not settings.webauthn.enabled

    with server_logging() as log:
        _warn_without_webauthn_settings(settings)
        _warn_without_webauthn_settings(_load(GATEHOUSE_ENV="production", WEBAUTHN_RP_ID="a.b"))

    lines = [line for line in log.getvalue().splitlines() if "WEBAUTHN_RP_ID" in line]
    assert len(lines) == 1
    assert "WARNING" in lines[0]


@pytest.mark.parametrize("rp_id", [None, "localhost"], ids=["unnamed", "named"])
async def test_passkeys_are_off_in_production_until_the_relying_party_is_named(
    db: None, rp_id: str | None
) -> None:
    settings = Settings(
        **{**SETTINGS.__dict__, "environment": "production", "webauthn_rp_id": rp_id}
    )
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        gql = GraphQLClient(client)
        _user, token = await gql.user_with_token(Role.ADMIN)
        registration = await gql.execute("mutation { beginPasskeyRegistration }", token=token)
        # Anonymous: production lets the sign-in mutations through, and nothing else.
        sign_in = await gql.execute("mutation { beginPasskeyLogin }")
        mixed = await gql.execute("mutation { beginPasskeyLogin logout }")

    assert mixed.codes == ["UNAUTHENTICATED"]
    for result in (registration, sign_in):
        if rp_id is not None:
            assert result.ok, result.body
            continue
        (error,) = result.errors
        assert error["extensions"] == {"code": "FORBIDDEN", "reason": "PASSKEYS_NOT_CONFIGURED"}
