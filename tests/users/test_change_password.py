"""changePassword: a signed-in user replaces their own password, knowing the current one;
every other session of theirs ends, this one goes on; API keys and strangers are refused."""

import logging
import re

import pytest
from httpx import AsyncClient

from gatehouse.bootstrap import ensure_first_super_admin
from models import ApiKey, AuditEvent, Role, Scope, Session, User
from tests.support.database import SETTINGS
from tests.support.documents import CHANGE_PASSWORD, LOGIN_TOKEN
from tests.support.factories import PASSWORD, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

ME = "query { me { email } }"
NEW_PASSWORD = "a brand new passphrase"


async def can_sign_in(client: AsyncClient, user: User, password: str) -> bool:
    body = await graphql(client, LOGIN_TOKEN, {"email": user.email, "password": password})
    return "errors" not in body


@pytest.mark.parametrize("role", list(Role))
async def test_a_signed_in_user_changes_their_own_password(client: AsyncClient, role: Role) -> None:
    user = await make_user(roles=(role,))
    token = await login(client, user)

    body = await graphql(
        client, CHANGE_PASSWORD, {"current": PASSWORD, "new": NEW_PASSWORD}, token=token
    )

    assert body == {"data": {"changePassword": True}}
    assert await can_sign_in(client, user, NEW_PASSWORD)
    assert not await can_sign_in(client, user, PASSWORD)


async def test_other_sessions_end_and_this_one_goes_on(client: AsyncClient) -> None:
    user = await make_user()
    other_user = await make_user()
    this_session = await login(client, user)
    other_session = await login(client, user)
    someone_elses = await login(client, other_user)
    api_key, secret = await make_api_key(user, scopes=(Scope.READ,))

    await graphql(
        client, CHANGE_PASSWORD, {"current": PASSWORD, "new": NEW_PASSWORD}, token=this_session
    )

    assert (await graphql(client, ME, token=this_session))["data"]["me"]["email"] == user.email
    assert error_codes(await graphql(client, ME, token=other_session)) == ["UNAUTHENTICATED"]
    assert "errors" not in await graphql(client, ME, token=someone_elses)
    assert "errors" not in await graphql(client, ME, headers={"X-API-Key": secret})
    assert await Session.filter(user_id=user.id).count() == 1
    assert (await ApiKey.get(id=api_key.id)).revoked_at is None


async def test_a_wrong_current_password_is_forbidden_and_changes_nothing(
    client: AsyncClient,
) -> None:
    user = await make_user()
    token = await login(client, user)
    second = await login(client, user)
    stored_hash = (await User.get(id=user.id)).password_hash

    body = await graphql(
        client, CHANGE_PASSWORD, {"current": "not the password", "new": NEW_PASSWORD}, token=token
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert body.get("data") is None
    assert (await User.get(id=user.id)).password_hash == stored_hash
    assert "errors" not in await graphql(client, ME, token=token)
    assert "errors" not in await graphql(client, ME, token=second)
    refused = await AuditEvent.get(action="user.change_password")
    assert (refused.outcome, refused.actor_id, refused.target_id) == ("FORBIDDEN", user.id, user.id)


@pytest.mark.parametrize("new_password", ["short", "x" * 11, "x" * 1025])
async def test_a_new_password_outside_the_rules_is_bad_user_input(
    client: AsyncClient, new_password: str
) -> None:
    user = await make_user()
    token = await login(client, user)

    body = await graphql(
        client, CHANGE_PASSWORD, {"current": PASSWORD, "new": new_password}, token=token
    )

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert await can_sign_in(client, user, PASSWORD)


@pytest.mark.parametrize("scopes", [(Scope.READ,), (Scope.READ, Scope.WRITE, Scope.ADMIN)])
async def test_an_api_key_may_not_change_a_password(
    client: AsyncClient, scopes: tuple[Scope, ...]
) -> None:
    owner = await make_user(roles=(Role.SUPER_ADMIN,))
    _, secret = await make_api_key(owner, scopes=scopes)

    body = await graphql(
        client,
        CHANGE_PASSWORD,
        {"current": PASSWORD, "new": NEW_PASSWORD},
        headers={"X-API-Key": secret},
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await can_sign_in(client, owner, PASSWORD)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer gs_unknown"}])
async def test_without_a_session_it_is_unauthenticated(
    client: AsyncClient, headers: dict[str, str]
) -> None:
    body = await graphql(
        client, CHANGE_PASSWORD, {"current": PASSWORD, "new": NEW_PASSWORD}, headers=headers
    )

    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_no_password_reaches_the_answer_or_the_audit_log(client: AsyncClient) -> None:
    user = await make_user()
    token = await login(client, user)

    right = await graphql(
        client, CHANGE_PASSWORD, {"current": PASSWORD, "new": NEW_PASSWORD}, token=token
    )
    wrong = await graphql(
        client, CHANGE_PASSWORD, {"current": "a wrong guess!!", "new": PASSWORD}, token=token
    )

    events = await AuditEvent.filter(action="user.change_password").order_by("id")
    assert [event.outcome for event in events] == ["OK", "FORBIDDEN"]
    for text in (str(right), str(wrong), *(str(event.details) for event in events)):
        for secret in (PASSWORD, NEW_PASSWORD, "a wrong guess!!", token):
            assert secret not in text


async def test_the_first_start_log_points_to_change_password(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await ensure_first_super_admin(SETTINGS)

    match = re.search(r"with password (\S+) .*changePassword", caplog.text)
    assert match is not None
    admin = await User.get(email="admin@localhost")
    token = await login(client, admin, match.group(1))
    body = await graphql(
        client, CHANGE_PASSWORD, {"current": match.group(1), "new": NEW_PASSWORD}, token=token
    )
    assert body == {"data": {"changePassword": True}}
