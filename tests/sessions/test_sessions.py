import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from argon2 import PasswordHasher
from httpx import AsyncClient
from tortoise.connection import get_connection

from gatehouse.app import create_app
from models import Role, Scope, Session, User, UserStatus
from resolvers import users
from tests.support.database import SETTINGS
from tests.support.documents import DELETE_USER, RESET_PASSWORD
from tests.support.factories import PASSWORD, gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login, token_for

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token
    expiresAt
    user { id email lastLoginAt }
  }
}
"""

LOGOUT = "mutation Logout { logout }"

ME = "query Me { me { id email roles } }"

UPDATE_USER = """
mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { id status }
}
"""


NEW_PASSWORD = "a brand new passphrase"
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# Well formed, so that it is looked up, but no session has it.
UNKNOWN_SESSION_TOKEN = "gs_" + "A" * 43


async def login_body(
    client: AsyncClient, email: str, password: str = PASSWORD, **kwargs: Any
) -> dict[str, Any]:
    return await graphql(client, LOGIN, {"email": email, "password": password}, **kwargs)


async def me_email(client: AsyncClient, **kwargs: Any) -> str | list[str]:
    """The email `me` answers with, or the error codes when it refuses."""
    body = await graphql(client, ME, **kwargs)
    if "errors" in body:
        return error_codes(body)
    email: str = body["data"]["me"]["email"]
    return email


# --- signing in -----------------------------------------------------------------------


async def test_login_takes_the_email_in_any_letter_case(client: AsyncClient) -> None:
    user = await make_user(email="person@example.com")
    typed = [
        "person@example.com",
        "PERSON@EXAMPLE.COM",
        "Person@Example.com",
        " person@example.com ",
    ]

    signed_in = {}
    for email in typed:
        body = await login_body(client, email)
        assert "errors" not in body, (email, body)
        signed_in[email] = await me_email(client, token=body["data"]["login"]["token"])

    assert signed_in == dict.fromkeys(typed, "person@example.com")
    assert await Session.filter(user_id=user.id).count() == len(typed)


async def test_login_sets_last_login_at(client: AsyncClient) -> None:
    user = await make_user()
    assert user.last_login_at is None

    with time_machine.travel(START, tick=False):
        body = await login_body(client, user.email)

    assert body["data"]["login"]["user"]["lastLoginAt"] == "2026-03-02T09:30:00+00:00"
    assert (await User.get(id=user.id)).last_login_at == START


async def test_login_token_signs_the_user_in(client: AsyncClient) -> None:
    user = await make_user(roles=(Role.READ_ONLY,))

    token = await login(client, user)

    body = await graphql(client, ME, token=token)
    assert body["data"]["me"] == {"id": gid(user), "email": user.email, "roles": ["READ_ONLY"]}


async def test_each_login_opens_its_own_session(client: AsyncClient) -> None:
    user = await make_user()

    first = await login(client, user)
    second = await login(client, user)

    assert first != second
    assert await Session.filter(user_id=user.id).count() == 2
    assert await me_email(client, token=first) == await me_email(client, token=second)


async def test_wrong_email_wrong_password_and_inactive_account_get_the_same_answer(
    client: AsyncClient,
) -> None:
    await make_user(email="active@example.com")
    await make_user(email="inactive@example.com", status=UserStatus.INACTIVE)

    wrong_email = await login_body(client, "nobody@example.com")
    wrong_password = await login_body(client, "active@example.com", "not the password!")
    inactive = await login_body(client, "inactive@example.com")
    not_an_email = await login_body(client, "not an email")
    nul_in_email = await login_body(client, "active@example.com\x00")

    assert error_codes(wrong_email) == ["UNAUTHENTICATED"]
    assert wrong_password == wrong_email
    assert inactive == wrong_email
    assert not_an_email == wrong_email
    assert nul_in_email == wrong_email
    assert await Session.all().count() == 0
    assert await User.filter(last_login_at__isnull=False).count() == 0


async def test_a_failed_login_leaves_the_password_hash_alone(client: AsyncClient) -> None:
    user = await make_user()
    outdated = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1).hash(PASSWORD)
    await User.filter(id=user.id).update(password_hash=outdated)

    body = await login_body(client, user.email, "not the password!")

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert (await User.get(id=user.id)).password_hash == outdated


async def test_a_password_hashed_with_older_parameters_is_rehashed_at_login(
    client: AsyncClient,
) -> None:
    user = await make_user()
    outdated = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1).hash(PASSWORD)
    await User.filter(id=user.id).update(password_hash=outdated)
    current = PasswordHasher(
        time_cost=SETTINGS.argon2_time_cost,
        memory_cost=SETTINGS.argon2_memory_cost_kib,
        parallelism=SETTINGS.argon2_parallelism,
    )

    await login(client, user)

    rehashed = (await User.get(id=user.id)).password_hash
    assert rehashed != outdated
    assert rehashed.startswith("$argon2id$")
    assert current.verify(rehashed, PASSWORD)
    assert not current.check_needs_rehash(rehashed)
    await login(client, user)


# --- the session token ----------------------------------------------------------------


async def test_the_sessions_table_holds_only_the_sha256_of_the_token(client: AsyncClient) -> None:
    user = await make_user()

    token = await login(client, user)

    rows = await get_connection("default").execute_query_dict("SELECT * FROM sessions")
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    stored = json.dumps(rows, default=str)
    assert token not in stored
    assert token.removeprefix("gs_") not in stored


async def test_logout_ends_the_session(client: AsyncClient) -> None:
    user = await make_user()
    token = await login(client, user)

    body = await graphql(client, LOGOUT, token=token)

    assert body == {"data": {"logout": True}}
    assert await me_email(client, token=token) == ["UNAUTHENTICATED"]
    assert error_codes(await graphql(client, LOGOUT, token=token)) == ["UNAUTHENTICATED"]
    assert await Session.filter(user_id=user.id).count() == 0


async def test_logout_leaves_the_users_other_sessions_open(client: AsyncClient) -> None:
    user = await make_user()
    laptop = await login(client, user)
    phone = await login(client, user)

    await graphql(client, LOGOUT, token=laptop)

    assert await me_email(client, token=phone) == user.email


async def test_logout_without_a_credential_is_unauthenticated(client: AsyncClient) -> None:
    body = await graphql(client, LOGOUT)

    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a_session_expires_after_twelve_hours(client: AsyncClient) -> None:
    user = await make_user()

    with time_machine.travel(START, tick=False) as clock:
        body = await login_body(client, user.email)
        token = body["data"]["login"]["token"]
        clock.move_to(START + timedelta(hours=12) - timedelta(seconds=1))
        just_before = await me_email(client, token=token)
        clock.move_to(START + timedelta(hours=12))
        at_expiry = await me_email(client, token=token)

    assert body["data"]["login"]["expiresAt"] == "2026-03-02T21:30:00+00:00"
    assert just_before == user.email
    assert at_expiry == ["UNAUTHENTICATED"]


@pytest.fixture
async def short_session_client(db: None) -> AsyncIterator[AsyncClient]:
    app = create_app(replace(SETTINGS, session_ttl_hours=0.5), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_the_session_lifetime_follows_the_settings(
    short_session_client: AsyncClient,
) -> None:
    client = short_session_client
    user = await make_user()

    with time_machine.travel(START, tick=False) as clock:
        body = await login_body(client, user.email)
        clock.move_to(START + timedelta(minutes=30))
        expired = await me_email(client, token=body["data"]["login"]["token"])

    assert body["data"]["login"]["expiresAt"] == "2026-03-02T10:00:00+00:00"
    assert expired == ["UNAUTHENTICATED"]


async def test_expired_sessions_are_swept_at_the_next_login(client: AsyncClient) -> None:
    user = await make_user()
    with time_machine.travel(START, tick=False) as clock:
        await login(client, user)
        clock.move_to(START + timedelta(hours=13))
        await login(client, user)

    assert await Session.filter(user_id=user.id).count() == 1


# --- sessions end with their user's access --------------------------------------------


async def test_deactivating_a_user_ends_their_sessions_at_once(
    client: AsyncClient, super_admin: User
) -> None:
    target = await make_user(roles=(Role.ADMIN,))
    target_token = await login(client, target)
    token = await login(client, super_admin)

    body = await graphql(
        client, UPDATE_USER, {"id": gid(target), "input": {"status": "INACTIVE"}}, token=token
    )

    assert body["data"]["updateUser"]["status"] == "INACTIVE"
    assert await me_email(client, token=target_token) == ["UNAUTHENTICATED"]
    assert await Session.filter(user_id=target.id).count() == 0
    assert await me_email(client, token=token) == super_admin.email


async def test_reactivating_a_user_does_not_revive_their_old_sessions(
    client: AsyncClient, super_admin: User
) -> None:
    target = await make_user(roles=(Role.ADMIN,))
    old_token = await login(client, target)
    token = await login(client, super_admin)
    for status in ("INACTIVE", "ACTIVE"):
        await graphql(
            client, UPDATE_USER, {"id": gid(target), "input": {"status": status}}, token=token
        )

    assert await me_email(client, token=old_token) == ["UNAUTHENTICATED"]
    assert await me_email(client, token=await login(client, target)) == target.email


async def test_a_session_of_a_user_made_inactive_by_any_means_is_refused(
    client: AsyncClient,
) -> None:
    user = await make_user()
    token = await login(client, user)

    await User.filter(id=user.id).update(status=UserStatus.INACTIVE)

    assert await me_email(client, token=token) == ["UNAUTHENTICATED"]


async def test_deleting_a_user_ends_their_sessions(client: AsyncClient, super_admin: User) -> None:
    target = await make_user(roles=(Role.ADMIN,))
    target_token = await login(client, target)
    token = await login(client, super_admin)

    body = await graphql(client, DELETE_USER, {"id": gid(target)}, token=token)

    assert body["data"]["deleteUser"] == gid(target)
    assert await me_email(client, token=target_token) == ["UNAUTHENTICATED"]
    assert await Session.filter(user_id=target.id).count() == 0


async def test_resetting_a_password_ends_the_users_sessions(
    client: AsyncClient, super_admin: User
) -> None:
    target = await make_user(roles=(Role.ADMIN,))
    target_token = await login(client, target)
    token = await login(client, super_admin)

    body = await graphql(
        client, RESET_PASSWORD, {"userId": gid(target), "newPassword": NEW_PASSWORD}, token=token
    )

    assert body["data"]["resetPassword"]["id"] == gid(target)
    assert await me_email(client, token=target_token) == ["UNAUTHENTICATED"]
    assert await Session.filter(user_id=target.id).count() == 0
    assert await me_email(client, token=token) == super_admin.email
    assert error_codes(await login_body(client, target.email)) == ["UNAUTHENTICATED"]
    assert await me_email(client, token=await login(client, target, NEW_PASSWORD)) == target.email


async def test_setting_a_password_outside_graphql_also_ends_the_sessions(
    client: AsyncClient,
) -> None:
    user = await make_user()
    token = await login(client, user)

    await users.set_password(None, user, NEW_PASSWORD)

    assert await me_email(client, token=token) == ["UNAUTHENTICATED"]


# --- the Authorization header ---------------------------------------------------------


async def test_the_bearer_scheme_is_case_insensitive(client: AsyncClient) -> None:
    user = await make_user()
    token = await login(client, user)
    schemes = ["Bearer", "bearer", "BEARER", "bEaReR"]

    answers = {
        scheme: await me_email(client, headers={"Authorization": f"{scheme} {token}"})
        for scheme in schemes
    }

    assert answers == dict.fromkeys(schemes, user.email)


async def test_a_malformed_or_unknown_credential_is_unauthenticated(client: AsyncClient) -> None:
    user = await make_user()
    token = await login(client, user)
    authorizations = {
        "basic scheme": f"Basic {token}",
        "token scheme": f"Token {token}",
        "no scheme": token,
        "no token": "Bearer",
        "blank token": "Bearer ",
        "garbage": "Bearer not-a-token",
        "too short": "Bearer gs_short",
        "too long": f"Bearer {token}x",
        "truncated": f"Bearer {token[:-1]}",
        "unknown": f"Bearer {UNKNOWN_SESSION_TOKEN}",
        "huge": "Bearer " + "x" * 5000,
        "two tokens": f"Bearer {token} {token}",
    }

    answers = {
        name: await graphql(client, ME, headers={"Authorization": authorization})
        for name, authorization in authorizations.items()
    }

    codes = {name: tuple(error_codes(body)) for name, body in answers.items()}
    assert codes == dict.fromkeys(authorizations, ("UNAUTHENTICATED",))
    assert all(body.get("data") is None for body in answers.values())
    assert await me_email(client, token=token) == user.email


async def test_a_session_token_sent_beside_an_api_key_header_is_unauthenticated(
    client: AsyncClient,
) -> None:
    user = await make_user()
    token = await login(client, user)
    _, secret = await make_api_key(user)

    body = await graphql(client, ME, token=token, headers={"X-API-Key": secret})

    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_login_works_whatever_bad_credential_comes_with_it(client: AsyncClient) -> None:
    user = await make_user()
    bad_credentials = {
        "other scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
        "malformed": {"Authorization": "Bearer garbage"},
        "unknown": {"Authorization": f"Bearer {UNKNOWN_SESSION_TOKEN}"},
        "bad API key": {"X-API-Key": "gk_not_a_key"},
    }

    signed_in = {}
    for name, headers in bad_credentials.items():
        body = await login_body(client, user.email, headers=headers)
        assert "errors" not in body, (name, body)
        signed_in[name] = await me_email(client, token=body["data"]["login"]["token"])

    assert signed_in == dict.fromkeys(bad_credentials, user.email)


async def test_login_works_with_an_ended_session_token(client: AsyncClient) -> None:
    user = await make_user()
    ended = await login(client, user)
    await graphql(client, LOGOUT, token=ended)

    body = await login_body(client, user.email, token=ended)

    assert "errors" not in body, body


async def test_login_while_signed_in_opens_another_session(client: AsyncClient) -> None:
    user = await make_user()
    token = await login(client, user)

    body = await login_body(client, user.email, token=token)

    assert body["data"]["login"]["token"] != token
    assert await Session.filter(user_id=user.id).count() == 2


# --- API keys are not people ----------------------------------------------------------


async def test_an_api_key_cannot_log_out(client: AsyncClient) -> None:
    owner, owner_token = await token_for(client, Role.ADMIN)
    _, secret = await make_api_key(owner, scopes=(Scope.READ, Scope.WRITE, Scope.ADMIN))
    ways = {"bearer": {"Authorization": f"Bearer {secret}"}, "header": {"X-API-Key": secret}}

    answers = {
        way: tuple(error_codes(await graphql(client, LOGOUT, headers=headers)))
        for way, headers in ways.items()
    }

    assert answers == dict.fromkeys(ways, ("FORBIDDEN",))
    assert await me_email(client, headers=ways["header"]) == owner.email
    assert await me_email(client, token=owner_token) == owner.email


async def test_an_api_key_cannot_log_in(client: AsyncClient) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    _, secret = await make_api_key(owner, scopes=(Scope.READ, Scope.WRITE, Scope.ADMIN))
    ways = {"bearer": {"Authorization": f"Bearer {secret}"}, "header": {"X-API-Key": secret}}

    answers = {
        way: tuple(error_codes(await login_body(client, owner.email, headers=headers)))
        for way, headers in ways.items()
    }

    assert answers == dict.fromkeys(ways, ("FORBIDDEN",))
    assert await Session.all().count() == 0


async def test_me_with_an_api_key_is_its_owner(client: AsyncClient) -> None:
    owner = await make_user(roles=(Role.READ_ONLY,))
    _, secret = await make_api_key(owner, scopes=(Scope.READ,))

    assert await me_email(client, token=secret) == owner.email


async def test_me_needs_the_read_scope_like_every_query(client: AsyncClient) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    _, secret = await make_api_key(owner, scopes=(Scope.WRITE,))

    assert await me_email(client, token=secret) == ["FORBIDDEN"]
