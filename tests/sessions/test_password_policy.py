"""The password policy on every path that sets a password: createUser, changePassword,
resetPassword, the CLI's create-user and reset-password, and the first start's
ADMIN_PASSWORD. A refusal is BAD_USER_INPUT with reason WEAK_PASSWORD, says which rule,
changes nothing, and never repeats the password."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.datastructures import Secret

from auth.password_policy import check_password, common_passwords
from core.config import ConfigError
from core.errors import GatehouseError
from gatehouse.bootstrap import ensure_first_super_admin
from models import AuditEvent, Role, User
from tests.support.cli import Gatehouse
from tests.support.database import SETTINGS
from tests.support.documents import CHANGE_PASSWORD, CREATE_USER, RESET_PASSWORD
from tests.support.factories import PASSWORD, gid, make_user
from tests.support.graphql import GraphQLClient
from tests.support.logging_capture import server_logging

STRONG = "violet lantern orbit 42"
# (password, email, the words the refusal's message names)
WEAK = [
    ("short pass", "someone@example.com", "at least 12"),
    ("letmein", "someone@example.com", "at least 12"),
    ("qwertyuiop!!", "someone@example.com", "common"),
    ("password1234", "someone@example.com", "common"),
    ("123456789012", "someone@example.com", "common"),
    ("!!dragon2024!!", "someone@example.com", "common"),
    ("passwordpassword", "someone@example.com", "common"),
    ("abcabcabcabcabc", "someone@example.com", "common"),
    ("Margaret-is-my-name-2026", "margaret@example.com", "email"),
    ("my name is MARGARET", "Margaret@Example.com", "email"),
]


def _assert_weak(errors: list[dict[str, object]], rule: str) -> None:
    (error,) = errors
    extensions = error["extensions"]
    assert isinstance(extensions, dict)
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["reason"] == "WEAK_PASSWORD"
    assert rule in str(error["message"])


# --- the rules ------------------------------------------------------------------------


def test_the_common_password_list_has_at_least_ten_thousand_entries() -> None:
    assert len(common_passwords()) >= 10_000


@pytest.mark.parametrize(("password", "email", "rule"), WEAK)
def test_a_weak_password_is_refused_naming_the_rule(password: str, email: str, rule: str) -> None:
    with pytest.raises(GatehouseError) as refusal:
        check_password(password, email)

    assert refusal.value.reason == "WEAK_PASSWORD"
    assert rule in refusal.value.message
    assert password not in refusal.value.message


@pytest.mark.parametrize(
    ("password", "email"),
    [
        (STRONG, "someone@example.com"),
        (PASSWORD, "user1@example.com"),
        ("a long enough password", "owner@example.com"),
        # A local part under three characters would refuse too much: it is not looked for.
        ("gold fish swim 1 by 1", "go@example.com"),
        ("738291046573", "someone@example.com"),  # digits, but not a common sequence
        (STRONG, None),
    ],
)
def test_a_good_password_passes(password: str, email: str | None) -> None:
    check_password(password, email)


def test_an_over_long_or_control_character_password_is_bad_input() -> None:
    for password in ["x" * 1025 + "yz", "a long\x00password here"]:
        with pytest.raises(GatehouseError) as refusal:
            check_password(password, "someone@example.com")
        assert refusal.value.code.value == "BAD_USER_INPUT"


# --- every path that sets a password --------------------------------------------------


@pytest.mark.parametrize(("password", "email", "rule"), WEAK)
async def test_create_user_refuses_a_weak_password(
    gql: GraphQLClient, super_admin: User, password: str, email: str, rule: str
) -> None:
    token = await gql.login(super_admin)
    new_user = {"email": email, "displayName": "New", "password": password, "roles": ["ADMIN"]}

    with server_logging() as logs:
        result = await gql.execute(CREATE_USER, {"input": new_user}, token=token)

    _assert_weak(result.errors, rule)
    assert not await User.exists(email=email.lower())
    (event,) = await AuditEvent.filter(action="user.create", outcome="BAD_USER_INPUT")
    assert event.details is not None
    assert event.details["reason"] == "WEAK_PASSWORD"
    assert password not in str(event.details)
    assert password not in logs.getvalue()


async def test_create_user_takes_a_strong_password(gql: GraphQLClient, super_admin: User) -> None:
    token = await gql.login(super_admin)
    new_user = {
        "email": "new@example.com",
        "displayName": "N",
        "password": STRONG,
        "roles": ["READ_ONLY"],
    }

    result = await gql.execute(CREATE_USER, {"input": new_user}, token=token)

    assert result.ok, result.body


@pytest.mark.parametrize(
    ("password", "rule"), [("too short", "at least 12"), ("1234567890!!", "common")]
)
async def test_change_password_refuses_a_weak_password(
    gql: GraphQLClient, password: str, rule: str
) -> None:
    user = await make_user(email="margaret@example.com")
    token = await gql.login(user)

    result = await gql.execute(CHANGE_PASSWORD, {"current": PASSWORD, "new": password}, token=token)
    own_name = await gql.execute(
        CHANGE_PASSWORD, {"current": PASSWORD, "new": "MARGARET says hello"}, token=token
    )

    _assert_weak(result.errors, rule)
    _assert_weak(own_name.errors, "email")
    await gql.login(user, PASSWORD)  # unchanged


async def test_reset_password_refuses_a_weak_password(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    target = await make_user(email="margaret@example.com")
    target_token = await gql.login(target)

    for password, rule in [("password1234", "common"), ("margaret rules ok", "email")]:
        result = await gql.execute(
            RESET_PASSWORD, {"userId": gid(target), "newPassword": password}, token=token
        )
        _assert_weak(result.errors, rule)

    assert (await gql.execute("{ me { id } }", token=target_token)).ok  # sessions kept
    await gql.login(target, PASSWORD)


def test_the_cli_refuses_a_weak_password_on_create_and_reset(tmp_path: Path) -> None:
    gatehouse = Gatehouse.on_sqlite(tmp_path, tmp_path / "x.sqlite3")

    weak = gatehouse("create-user", "--email", "a@b.co", stdin="password1234\n")
    created = gatehouse("create-user", "--email", "margaret@b.co", stdin=STRONG + "\n")
    own_name = "margaret loves green tea\n"
    reset = gatehouse("reset-password", "--email", "margaret@b.co", stdin=own_name)

    assert weak.returncode != 0
    assert "common" in weak.stderr
    assert "Traceback" not in weak.stderr
    assert "password1234" not in weak.stderr
    assert created.returncode == 0, created.stderr
    assert reset.returncode != 0
    assert "email" in reset.stderr


async def test_a_weak_admin_password_is_a_config_error_at_first_start(db: None) -> None:
    settings = replace(
        SETTINGS, admin_email="root@example.com", admin_password=Secret("password1234")
    )

    with pytest.raises(ConfigError, match="ADMIN_PASSWORD") as refusal:
        await ensure_first_super_admin(settings)

    assert "common" in str(refusal.value)
    assert "password1234" not in str(refusal.value)
    assert await User.all().count() == 0


async def test_the_generated_first_password_passes_the_policy(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        await ensure_first_super_admin(SETTINGS)

    (line,) = [
        record.getMessage() for record in caplog.records if "password" in record.getMessage()
    ]
    password = line.split("with password ", 1)[1].split(" ", 1)[0]
    check_password(password, "admin@localhost")
    admin = await User.get(email="admin@localhost")
    assert admin.roles == [Role.SUPER_ADMIN]
