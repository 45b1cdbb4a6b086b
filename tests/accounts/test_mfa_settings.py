"""MFA_REQUIRED_ROLES and STEP_UP_SECONDS, the start's log lines about them, and the
restrictions under the production mode and trusted documents."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from core.config import ConfigError, Settings
from gatehouse.app import create_app
from models import Role
from resolvers.bootstrap import ensure_first_super_admin, warn_about_mfa_policy
from tests.support.database import SETTINGS
from tests.support.factories import make_user
from tests.support.graphql import GraphQLClient
from tests.support.limiter import app_client
from tests.support.mfa import enrolled_user, sign_in

ME = "query Me { me { email } }"


def test_the_settings_read_roles_and_the_step_up_window() -> None:
    settings = Settings.load(
        environ={"MFA_REQUIRED_ROLES": "super_admin, ADMIN", "STEP_UP_SECONDS": "120"},
        env_file=None,
    )
    assert settings.mfa.required_roles == {Role.SUPER_ADMIN, Role.ADMIN}
    assert settings.mfa.step_up_seconds == 120
    defaults = Settings.load(environ={}, env_file=None).mfa
    assert (defaults.required_roles, defaults.step_up_seconds, defaults.issuer) == (
        frozenset(),
        300,
        "Gatehouse",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("MFA_REQUIRED_ROLES", "ROOT"), ("STEP_UP_SECONDS", "0"), ("STEP_UP_SECONDS", "soon")],
)
def test_a_bad_value_stops_the_start_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name}: "):
        Settings.load(environ={name: value}, env_file=None)


@pytest.mark.parametrize(
    ("environment", "roles", "warned"),
    [
        ("production", (), True),
        ("production", (Role.SUPER_ADMIN,), False),
        ("development", (), False),
    ],
)
def test_a_production_start_without_required_roles_warns_once(
    caplog: pytest.LogCaptureFixture, environment: str, roles: tuple[Role, ...], warned: bool
) -> None:
    settings = replace(SETTINGS, environment=environment, mfa_required_roles=roles)
    with caplog.at_level(logging.WARNING, logger="gatehouse.bootstrap"):
        warn_about_mfa_policy(settings)
    lines = [r.getMessage() for r in caplog.records if "MFA_REQUIRED_ROLES" in r.getMessage()]
    assert len(lines) == (1 if warned else 0)


async def test_the_first_start_says_how_to_enrol(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gatehouse.bootstrap"):
        await ensure_first_super_admin(SETTINGS)
    assert any("beginTotpEnrollment" in record.getMessage() for record in caplog.records)


async def test_restrictions_hold_in_production(db: None) -> None:
    user = await make_user(roles=(Role.ADMIN,))
    async with app_client(environment="production", mfa_required_roles=(Role.ADMIN,)) as client:
        gql = GraphQLClient(client)
        token = str((await sign_in(gql, user))["token"])
        refused = await gql.execute("{ users { totalCount } }", token=token)
        introspection = await gql.execute("{ __schema { queryType { name } } }", token=token)
        me = await gql.execute(ME, token=token)
    assert refused.errors[0]["extensions"]["reason"] == "MFA_ENROLLMENT_REQUIRED"
    assert introspection.codes  # production refuses introspection to everyone
    assert me.ok


async def test_a_trusted_document_is_refused_to_a_restricted_session(
    db: None, tmp_path: Path
) -> None:
    listed = "query Users { users { totalCount } }"
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({hashlib.sha256(listed.encode()).hexdigest(): listed}))
    app = create_app(replace(SETTINGS, trusted_documents=manifest), manage_database=False)
    async with (
        app_client() as plain,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as trusted,
    ):
        enrolled = await enrolled_user(GraphQLClient(plain))
        token = str((await sign_in(GraphQLClient(plain), enrolled.user))["token"])
        response = await trusted.post(
            "/graphql",
            json={"documentId": hashlib.sha256(listed.encode()).hexdigest()},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert body["errors"][0]["extensions"]["reason"] == "MFA_REQUIRED"
    assert body.get("data") is None
