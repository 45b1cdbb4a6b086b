import asyncio
import base64
import json
from typing import Any

import pytest
from argon2 import PasswordHasher
from httpx import AsyncClient

from models import ApiKey, Role, Session, User, UserStatus
from schema import ids as global_ids
from tests.support.documents import DELETE_USER
from tests.support.factories import (
    PASSWORD,
    gid,
    make_api_key,
    make_user,
    password_of_length,
    pk,
)
from tests.support.graphql import error_codes, graphql, login, token_for

USERS = """
query Users($first: Int, $after: String, $filter: UserFilter) {
  users(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id email } }
    nodes { id email displayName roles status }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""

USER = """
query User($id: ID!) {
  user(id: $id) { id email displayName roles status lastLoginAt createdAt }
}
"""

CREATE_USER = """
mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) { id email displayName roles status lastLoginAt createdAt }
}
"""

UPDATE_USER = """
mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { id email displayName roles status }
}
"""

RESET_PASSWORD = """
mutation ResetPassword($userId: ID!, $newPassword: String!) {
  resetPassword(userId: $userId, newPassword: $newPassword) { id email }
}
"""


LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token user { id email } }
}
"""

API_KEY = """
query ApiKey($id: ID!) { apiKey(id: $id) { id status revokedAt createdBy { id } } }
"""

NEW_PASSWORD = "a brand new passphrase"
ANONYMOUS = "anonymous"
BAD_TOKEN = "bad token"
# Well formed, so that it is looked up, but no session has it.
UNKNOWN_SESSION_TOKEN = "gs_" + "A" * 43


def by_caller(super_admin: str | None, admin: str | None, read_only: str | None) -> list[Any]:
    """One row of the contract's permission table: None where the caller may, else the
    code of the refusal. Callers without a valid credential are always UNAUTHENTICATED."""
    return [
        pytest.param(Role.SUPER_ADMIN, super_admin, id="SUPER_ADMIN"),
        pytest.param(Role.ADMIN, admin, id="ADMIN"),
        pytest.param(Role.READ_ONLY, read_only, id="READ_ONLY"),
        pytest.param(ANONYMOUS, "UNAUTHENTICATED", id="anonymous"),
        pytest.param(BAD_TOKEN, "UNAUTHENTICATED", id="bad-token"),
    ]


async def credential_for(client: AsyncClient, caller: str) -> str | None:
    if caller == ANONYMOUS:
        return None
    if caller == BAD_TOKEN:
        return UNKNOWN_SESSION_TOKEN
    _, token = await token_for(client, Role(caller))
    return token


def outcome(body: dict[str, Any]) -> str:
    """ "ok", or the code of the first error: tables of these read as the rule they check."""
    codes = error_codes(body)
    return codes[0] if codes else "ok"


def assert_refused(body: dict[str, Any], code: str) -> None:
    assert error_codes(body) == [code], body


def assert_ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def reloaded(user: User) -> User:
    # Not `refresh_from_db`: Tortoise sets attributes by column name there, and the
    # `roles` column belongs to the `roles_encoded` field behind a read-only property.
    return await User.get(id=user.id)


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def new_user_input(**overrides: Any) -> dict[str, Any]:
    return {
        "email": "new.person@example.com",
        "displayName": "New Person",
        "password": PASSWORD,
        "roles": ["READ_ONLY"],
        **overrides,
    }


# --- who may do what ------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "refusal"), by_caller(None, None, "FORBIDDEN"))
async def test_who_may_list_users(client: AsyncClient, caller: str, refusal: str | None) -> None:
    token = await credential_for(client, caller)

    body = await graphql(client, USERS, token=token)

    if refusal:
        assert_refused(body, refusal)
        assert body.get("data") is None
    else:
        listed = assert_ok(body)["users"]
        assert listed["totalCount"] == await User.all().count() == 1


@pytest.mark.parametrize(("caller", "refusal"), by_caller(None, None, "FORBIDDEN"))
async def test_who_may_read_a_user(client: AsyncClient, caller: str, refusal: str | None) -> None:
    target = await make_user(roles=(Role.READ_ONLY,))
    token = await credential_for(client, caller)

    body = await graphql(client, USER, {"id": gid(target)}, token=token)

    if refusal:
        assert_refused(body, refusal)
        # A rejected credential is refused before validation, so nothing runs at all.
        assert body.get("data") == (None if caller == BAD_TOKEN else {"user": None})
    else:
        assert assert_ok(body)["user"]["email"] == target.email


@pytest.mark.parametrize(("caller", "refusal"), by_caller(None, "FORBIDDEN", "FORBIDDEN"))
async def test_who_may_create_a_user(client: AsyncClient, caller: str, refusal: str | None) -> None:
    token = await credential_for(client, caller)

    body = await graphql(client, CREATE_USER, {"input": new_user_input()}, token=token)

    created = await User.get_or_none(email="new.person@example.com")
    if refusal:
        assert_refused(body, refusal)
        assert created is None
    else:
        assert assert_ok(body)["createUser"]["id"] == (gid(created) if created else None)


@pytest.mark.parametrize(("caller", "refusal"), by_caller(None, None, "FORBIDDEN"))
async def test_who_may_update_a_user(client: AsyncClient, caller: str, refusal: str | None) -> None:
    target = await make_user(roles=(Role.READ_ONLY,), display_name="Before")
    token = await credential_for(client, caller)

    body = await graphql(
        client,
        UPDATE_USER,
        {"id": gid(target), "input": {"displayName": "After", "roles": ["ADMIN"]}},
        token=token,
    )

    target = await reloaded(target)
    if refusal:
        assert_refused(body, refusal)
        assert (target.display_name, target.roles) == ("Before", [Role.READ_ONLY])
    else:
        assert assert_ok(body)["updateUser"]["roles"] == ["ADMIN"]
        assert (target.display_name, target.roles) == ("After", [Role.ADMIN])


@pytest.mark.parametrize(("caller", "refusal"), by_caller(None, "FORBIDDEN", "FORBIDDEN"))
async def test_who_may_reset_a_password(
    client: AsyncClient, caller: str, refusal: str | None
) -> None:
    target = await make_user(roles=(Role.READ_ONLY,))
    old_hash = target.password_hash
    token = await credential_for(client, caller)

    body = await graphql(
        client,
        RESET_PASSWORD,
        {"userId": gid(target), "newPassword": NEW_PASSWORD},
        token=token,
    )

    target = await reloaded(target)
    if refusal:
        assert_refused(body, refusal)
        assert target.password_hash == old_hash
    else:
        assert assert_ok(body)["resetPassword"]["id"] == gid(target)
        assert PasswordHasher().verify(target.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(("caller", "refusal"), by_caller(None, "FORBIDDEN", "FORBIDDEN"))
async def test_who_may_delete_a_user(client: AsyncClient, caller: str, refusal: str | None) -> None:
    target = await make_user(roles=(Role.READ_ONLY,))
    token = await credential_for(client, caller)

    body = await graphql(client, DELETE_USER, {"id": gid(target)}, token=token)

    still_there = await User.exists(id=target.id)
    if refusal:
        assert_refused(body, refusal)
        assert still_there
    else:
        assert assert_ok(body)["deleteUser"] == gid(target)
        assert not still_there


async def test_the_strongest_of_several_roles_counts(client: AsyncClient) -> None:
    _, token = await token_for(client, Role.READ_ONLY, Role.ADMIN)

    body = await graphql(client, USERS, token=token)

    assert assert_ok(body)["users"]["totalCount"] == 1


# --- emails and passwords -------------------------------------------------------------


async def test_created_user_has_its_email_stored_lower_case(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    body = await graphql(
        client,
        CREATE_USER,
        {"input": new_user_input(email="  New.Person@Example.COM ")},
        token=token,
    )

    created = assert_ok(body)["createUser"]
    assert created["email"] == "new.person@example.com"
    assert created["lastLoginAt"] is None
    assert created["roles"] == ["READ_ONLY"]
    assert created["status"] == "ACTIVE"
    stored = await User.get(id=pk(created["id"]))
    assert stored.email == "new.person@example.com"
    assert PasswordHasher().verify(stored.password_hash, PASSWORD)


async def test_an_email_taken_in_any_letter_case_is_a_conflict(
    client: AsyncClient, super_admin: User
) -> None:
    await make_user(email="taken@example.com")
    token = await login(client, super_admin)
    attempts = ["taken@example.com", "TAKEN@example.com", "Taken@Example.Com"]

    outcomes = {
        email: outcome(
            await graphql(client, CREATE_USER, {"input": new_user_input(email=email)}, token=token)
        )
        for email in attempts
    }

    assert outcomes == dict.fromkeys(attempts, "CONFLICT")
    assert await User.filter(email="taken@example.com").count() == 1
    assert await User.all().count() == 2


async def test_create_user_takes_passwords_of_12_to_1024_characters(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    lengths = [11, 12, 1024, 1025]

    outcomes = {
        length: outcome(
            await graphql(
                client,
                CREATE_USER,
                {
                    "input": new_user_input(
                        email=f"len{length}@example.com", password=password_of_length(length)
                    )
                },
                token=token,
            )
        )
        for length in lengths
    }

    assert outcomes == {11: "BAD_USER_INPUT", 12: "ok", 1024: "ok", 1025: "BAD_USER_INPUT"}
    created = {user.email: user for user in await User.filter(email__startswith="len")}
    assert sorted(created) == ["len1024@example.com", "len12@example.com"]
    assert PasswordHasher().verify(
        created["len1024@example.com"].password_hash, password_of_length(1024)
    )


async def test_reset_password_refuses_a_password_of_the_wrong_length(
    client: AsyncClient, super_admin: User
) -> None:
    target = await make_user()
    token = await login(client, super_admin)

    outcomes = {
        length: outcome(
            await graphql(
                client,
                RESET_PASSWORD,
                {"userId": gid(target), "newPassword": password_of_length(length)},
                token=token,
            )
        )
        for length in (11, 1025)
    }

    assert outcomes == {11: "BAD_USER_INPUT", 1025: "BAD_USER_INPUT"}
    assert (await reloaded(target)).password_hash == target.password_hash


async def test_create_user_refuses_malformed_input(client: AsyncClient, super_admin: User) -> None:
    token = await login(client, super_admin)
    malformed: dict[str, dict[str, Any]] = {
        "email": {"email": "not-an-email"},
        "NUL in email": {"email": "a\x00b@example.com"},
        "blank display name": {"displayName": "   "},
        "NUL in display name": {"displayName": "New\x00Person"},
        "no roles": {"roles": []},
        "unknown role": {"roles": ["KING"]},
    }

    outcomes = {
        name: outcome(
            await graphql(client, CREATE_USER, {"input": new_user_input(**changes)}, token=token)
        )
        for name, changes in malformed.items()
    }

    assert outcomes == dict.fromkeys(malformed, "BAD_USER_INPUT")
    assert await User.all().count() == 1


async def test_update_user_refuses_malformed_input(client: AsyncClient, super_admin: User) -> None:
    target = await make_user(roles=(Role.ADMIN,), display_name="Kept")
    token = await login(client, super_admin)
    malformed = {
        "blank display name": {"displayName": ""},
        "NUL in display name": {"displayName": "Kept\x00Not"},
        "no roles": {"roles": []},
    }

    outcomes = {
        name: outcome(
            await graphql(client, UPDATE_USER, {"id": gid(target), "input": changes}, token=token)
        )
        for name, changes in malformed.items()
    }

    assert outcomes == dict.fromkeys(malformed, "BAD_USER_INPUT")
    target = await reloaded(target)
    assert (target.display_name, target.roles) == ("Kept", [Role.ADMIN])


async def test_reset_password_replaces_the_password(client: AsyncClient, super_admin: User) -> None:
    target = await make_user()
    token = await login(client, super_admin)

    body = await graphql(
        client, RESET_PASSWORD, {"userId": gid(target), "newPassword": NEW_PASSWORD}, token=token
    )

    assert_ok(body)
    await login(client, target, NEW_PASSWORD)
    old = await graphql(client, LOGIN, {"email": target.email, "password": PASSWORD})
    assert_refused(old, "UNAUTHENTICATED")


# --- admins and super-admins ----------------------------------------------------------


async def test_admin_can_change_a_non_super_admin(client: AsyncClient) -> None:
    target = await make_user(roles=(Role.READ_ONLY,))
    _, token = await token_for(client, Role.ADMIN)

    body = await graphql(
        client,
        UPDATE_USER,
        {
            "id": gid(target),
            "input": {"displayName": "Renamed", "roles": ["ADMIN"], "status": "INACTIVE"},
        },
        token=token,
    )

    assert assert_ok(body)["updateUser"]["status"] == "INACTIVE"
    target = await reloaded(target)
    assert (target.display_name, target.roles, target.status) == (
        "Renamed",
        [Role.ADMIN],
        UserStatus.INACTIVE,
    )


async def test_admin_cannot_grant_super_admin(client: AsyncClient) -> None:
    target = await make_user(roles=(Role.READ_ONLY,))
    _, token = await token_for(client, Role.ADMIN)
    grants = {"alone": ["SUPER_ADMIN"], "beside admin": ["ADMIN", "SUPER_ADMIN"]}

    outcomes = {
        name: outcome(
            await graphql(
                client, UPDATE_USER, {"id": gid(target), "input": {"roles": roles}}, token=token
            )
        )
        for name, roles in grants.items()
    }

    assert outcomes == dict.fromkeys(grants, "FORBIDDEN")
    assert (await reloaded(target)).roles == [Role.READ_ONLY]


async def test_admin_cannot_touch_a_super_admin(client: AsyncClient, super_admin: User) -> None:
    await make_user(roles=(Role.SUPER_ADMIN,))  # so that no rule but the admin's applies
    _, token = await token_for(client, Role.ADMIN)
    changes = {
        "take away SUPER_ADMIN": {"roles": ["ADMIN"]},
        "keep SUPER_ADMIN": {"roles": ["SUPER_ADMIN", "ADMIN"]},
        "rename": {"displayName": "Renamed"},
        "deactivate": {"status": "INACTIVE"},
        "nothing": {},
    }

    outcomes = {
        name: outcome(
            await graphql(
                client, UPDATE_USER, {"id": gid(super_admin), "input": change}, token=token
            )
        )
        for name, change in changes.items()
    }

    assert outcomes == dict.fromkeys(changes, "FORBIDDEN")
    after = await reloaded(super_admin)
    assert (after.roles, after.status, after.display_name) == (
        [Role.SUPER_ADMIN],
        UserStatus.ACTIVE,
        super_admin.display_name,
    )


async def test_super_admin_can_grant_and_take_away_super_admin(
    client: AsyncClient, super_admin: User
) -> None:
    target = await make_user(roles=(Role.ADMIN,))
    token = await login(client, super_admin)

    granted = await graphql(
        client,
        UPDATE_USER,
        {"id": gid(target), "input": {"roles": ["SUPER_ADMIN", "ADMIN"]}},
        token=token,
    )
    roles_after_grant = (await reloaded(target)).roles
    taken = await graphql(
        client, UPDATE_USER, {"id": gid(target), "input": {"roles": ["ADMIN"]}}, token=token
    )

    assert assert_ok(granted)["updateUser"]["roles"] == ["SUPER_ADMIN", "ADMIN"]
    assert roles_after_grant == [Role.SUPER_ADMIN, Role.ADMIN]
    assert assert_ok(taken)["updateUser"]["roles"] == ["ADMIN"]
    assert (await reloaded(target)).roles == [Role.ADMIN]


async def test_super_admin_cannot_reset_their_own_password(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    body = await graphql(
        client,
        RESET_PASSWORD,
        {"userId": gid(super_admin), "newPassword": NEW_PASSWORD},
        token=token,
    )

    assert_refused(body, "FORBIDDEN")
    assert (await reloaded(super_admin)).password_hash == super_admin.password_hash


async def test_super_admin_cannot_delete_themselves(client: AsyncClient, super_admin: User) -> None:
    await make_user(roles=(Role.SUPER_ADMIN,))
    token = await login(client, super_admin)

    body = await graphql(client, DELETE_USER, {"id": gid(super_admin)}, token=token)

    assert_refused(body, "FORBIDDEN")
    assert await User.exists(id=super_admin.id)


async def test_the_last_active_super_admin_cannot_step_down(
    client: AsyncClient, super_admin: User
) -> None:
    # An inactive super-admin does not count as one who could take over.
    await make_user(roles=(Role.SUPER_ADMIN,), status=UserStatus.INACTIVE)
    token = await login(client, super_admin)
    changes = {
        "demote": {"roles": ["ADMIN"]},
        "demote to read-only": {"roles": ["READ_ONLY"]},
        "deactivate": {"status": "INACTIVE"},
        "both": {"roles": ["ADMIN"], "status": "INACTIVE"},
    }

    outcomes = {
        name: outcome(
            await graphql(
                client, UPDATE_USER, {"id": gid(super_admin), "input": change}, token=token
            )
        )
        for name, change in changes.items()
    }

    assert outcomes == dict.fromkeys(changes, "FORBIDDEN")
    after = await reloaded(super_admin)
    assert (after.roles, after.status) == ([Role.SUPER_ADMIN], UserStatus.ACTIVE)
    assert await Session.filter(user_id=super_admin.id).count() == 1


async def test_a_super_admin_may_demote_themselves_while_another_is_active(
    client: AsyncClient, super_admin: User
) -> None:
    await make_user(roles=(Role.SUPER_ADMIN,))
    token = await login(client, super_admin)

    body = await graphql(
        client, UPDATE_USER, {"id": gid(super_admin), "input": {"roles": ["ADMIN"]}}, token=token
    )

    assert assert_ok(body)["updateUser"]["roles"] == ["ADMIN"]
    assert (await reloaded(super_admin)).roles == [Role.ADMIN]


async def test_a_super_admin_may_deactivate_themselves_while_another_is_active(
    client: AsyncClient, super_admin: User
) -> None:
    await make_user(roles=(Role.SUPER_ADMIN,))
    token = await login(client, super_admin)

    body = await graphql(
        client,
        UPDATE_USER,
        {"id": gid(super_admin), "input": {"status": "INACTIVE"}},
        token=token,
    )

    assert assert_ok(body)["updateUser"]["status"] == "INACTIVE"
    assert (await reloaded(super_admin)).status == UserStatus.INACTIVE


async def test_the_last_super_admin_may_still_rename_themselves(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    body = await graphql(
        client,
        UPDATE_USER,
        {
            "id": gid(super_admin),
            "input": {"displayName": "Root", "roles": ["SUPER_ADMIN"], "status": "ACTIVE"},
        },
        token=token,
    )

    assert assert_ok(body)["updateUser"]["displayName"] == "Root"
    assert (await reloaded(super_admin)).display_name == "Root"


async def test_deleting_a_user_revokes_their_keys_and_forgets_who_created_them(
    client: AsyncClient, super_admin: User
) -> None:
    target = await make_user(roles=(Role.ADMIN,))
    active_key, _ = await make_api_key(target, name="active")
    revoked_key, _ = await make_api_key(target, name="revoked earlier")
    await ApiKey.filter(id=revoked_key.id).update(revoked_at=revoked_key.created_at)
    others_key, _ = await make_api_key(super_admin, name="someone else's")
    await login(client, target)
    token = await login(client, super_admin)

    body = await graphql(client, DELETE_USER, {"id": gid(target)}, token=token)

    assert assert_ok(body)["deleteUser"] == gid(target)
    assert not await User.exists(id=target.id)
    assert not await Session.exists(user_id=target.id)
    active_key = await ApiKey.get(id=active_key.id)
    assert active_key.revoked_at is not None
    assert active_key.created_by_id is None
    # A key revoked before keeps the moment it was revoked.
    assert (await ApiKey.get(id=revoked_key.id)).revoked_at == revoked_key.created_at
    others_key = await ApiKey.get(id=others_key.id)
    assert (others_key.revoked_at, others_key.created_by_id) == (None, super_admin.id)
    shown = await graphql(client, API_KEY, {"id": gid(active_key)}, token=token)
    assert assert_ok(shown)["apiKey"]["status"] == "REVOKED"
    assert shown["data"]["apiKey"]["createdBy"] is None


# --- the users connection -------------------------------------------------------------


async def test_users_pages_follow_cursors_in_a_stable_order(
    client: AsyncClient, super_admin: User
) -> None:
    created = [await make_user() for _ in range(4)]
    token = await login(client, super_admin)
    expected = [super_admin.email, *(user.email for user in created)]

    seen: list[str] = []
    after = None
    pages = []
    while True:
        body = await graphql(client, USERS, {"first": 2, "after": after}, token=token)
        page = assert_ok(body)["users"]
        pages.append(page)
        seen.extend(node["email"] for node in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == expected
    assert [len(page["nodes"]) for page in pages] == [2, 2, 1]
    assert all(page["totalCount"] == 5 for page in pages)
    for page in pages:
        assert [edge["node"]["email"] for edge in page["edges"]] == [
            node["email"] for node in page["nodes"]
        ]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_users_first_page_defaults_to_twenty(client: AsyncClient, super_admin: User) -> None:
    for _ in range(20):
        await make_user()
    token = await login(client, super_admin)

    body = await graphql(client, USERS, token=token)

    page = assert_ok(body)["users"]
    assert len(page["nodes"]) == 20
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["totalCount"] == 21


async def test_users_after_the_last_cursor_is_an_empty_page(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    first = assert_ok(await graphql(client, USERS, {"first": 1}, token=token))["users"]

    body = await graphql(
        client, USERS, {"first": 1, "after": first["pageInfo"]["endCursor"]}, token=token
    )

    page = assert_ok(body)["users"]
    assert page["nodes"] == []
    assert page["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    assert page["totalCount"] == 1


async def test_users_first_must_be_between_1_and_100(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    sizes = [-1, 0, 1, 100, 101]

    outcomes = {
        first: outcome(await graphql(client, USERS, {"first": first}, token=token))
        for first in sizes
    }

    assert outcomes == {
        -1: "BAD_USER_INPUT",
        0: "BAD_USER_INPUT",
        1: "ok",
        100: "ok",
        101: "BAD_USER_INPUT",
    }


async def test_users_refuses_a_cursor_it_did_not_issue(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    foreign = {
        "garbage": "garbage",
        "empty": "",
        "another list's cursor": cursor("ApiKey:1"),
        "not a number": cursor("User:one"),
        "not base64": "!!!!",
        "not utf-8": base64.b64encode(b"\xff\xfe").decode(),
        "id out of range": cursor("User:99999999999999999999999"),
        "id zero": cursor("User:0"),
    }

    outcomes = {
        name: outcome(await graphql(client, USERS, {"after": after}, token=token))
        for name, after in foreign.items()
    }

    assert outcomes == dict.fromkeys(foreign, "BAD_USER_INPUT")


async def test_users_filter_by_status(client: AsyncClient, super_admin: User) -> None:
    inactive = await make_user(status=UserStatus.INACTIVE)
    token = await login(client, super_admin)

    inactive_only = await graphql(client, USERS, {"filter": {"status": "INACTIVE"}}, token=token)
    active_only = await graphql(client, USERS, {"filter": {"status": "ACTIVE"}}, token=token)

    assert [n["email"] for n in assert_ok(inactive_only)["users"]["nodes"]] == [inactive.email]
    assert inactive_only["data"]["users"]["totalCount"] == 1
    assert [n["email"] for n in assert_ok(active_only)["users"]["nodes"]] == [super_admin.email]


async def test_users_filter_by_role_matches_that_exact_role(
    client: AsyncClient, super_admin: User
) -> None:
    await make_user(roles=(Role.SUPER_ADMIN, Role.ADMIN), email="both@example.com")
    await make_user(roles=(Role.ADMIN,), email="admin@example.com")
    await make_user(roles=(Role.READ_ONLY,), email="reader@example.com")
    token = await login(client, super_admin)

    listed = {}
    for role in ("SUPER_ADMIN", "ADMIN", "READ_ONLY"):
        body = await graphql(client, USERS, {"filter": {"role": role}}, token=token)
        users = assert_ok(body)["users"]
        assert users["totalCount"] == len(users["nodes"])
        listed[role] = [node["email"] for node in users["nodes"]]

    # ADMIN must not match the super-admin who lacks it, though "ADMIN" is in "SUPER_ADMIN".
    assert listed == {
        "SUPER_ADMIN": ["root@example.com", "both@example.com"],
        "ADMIN": ["both@example.com", "admin@example.com"],
        "READ_ONLY": ["reader@example.com"],
    }


async def test_users_search_matches_email_or_display_name_in_any_case(
    client: AsyncClient, super_admin: User
) -> None:
    await make_user(email="alice@example.com", display_name="Alice Wonderland")
    await make_user(email="bob@example.org", display_name="Bob the Builder")
    await make_user(email="percent%@example.com", display_name="Percent")
    await make_user(email="under_score@example.com", display_name="Underscore")
    token = await login(client, super_admin)
    searches = ["ALICE", "wonder", "EXAMPLE.ORG", "  bob  ", "builder", "%", "_", "nobody"]

    found = {}
    for search in searches:
        body = await graphql(client, USERS, {"filter": {"search": search}}, token=token)
        users = assert_ok(body)["users"]
        assert users["totalCount"] == len(users["nodes"])
        found[search] = [node["email"] for node in users["nodes"]]

    assert found == {
        "ALICE": ["alice@example.com"],
        "wonder": ["alice@example.com"],
        "EXAMPLE.ORG": ["bob@example.org"],
        "  bob  ": ["bob@example.org"],
        "builder": ["bob@example.org"],
        "%": ["percent%@example.com"],  # literally, not as a wildcard
        "_": ["under_score@example.com"],
        "nobody": [],
    }


async def test_users_search_refuses_control_characters(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    body = await graphql(client, USERS, {"filter": {"search": "root\x00"}}, token=token)

    assert_refused(body, "BAD_USER_INPUT")


async def test_users_filters_combine_and_paginate_together(
    client: AsyncClient, super_admin: User
) -> None:
    matching = [await make_user(roles=(Role.ADMIN,), display_name=f"Ops {n}") for n in range(3)]
    await make_user(roles=(Role.READ_ONLY,), display_name="Ops reader")
    await make_user(roles=(Role.ADMIN,), display_name="Ops away", status=UserStatus.INACTIVE)
    await make_user(roles=(Role.ADMIN,), display_name="Sales")
    token = await login(client, super_admin)
    criteria = {"role": "ADMIN", "status": "ACTIVE", "search": "ops"}

    first = await graphql(client, USERS, {"first": 2, "filter": criteria}, token=token)
    after = assert_ok(first)["users"]["pageInfo"]["endCursor"]
    second = await graphql(
        client, USERS, {"first": 2, "after": after, "filter": criteria}, token=token
    )

    emails = [n["email"] for n in first["data"]["users"]["nodes"]]
    emails += [n["email"] for n in assert_ok(second)["users"]["nodes"]]
    assert emails == [user.email for user in matching]
    assert first["data"]["users"]["totalCount"] == second["data"]["users"]["totalCount"] == 3
    assert second["data"]["users"]["pageInfo"]["hasNextPage"] is False


# --- unknown ids ----------------------------------------------------------------------


async def test_user_with_an_unknown_or_garbage_id_is_null(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    unknown = ["999999", "0", "-1", "abc", "1.5", "", "99999999999999999999999"]

    answers = {
        user_id: await graphql(client, USER, {"id": user_id}, token=token) for user_id in unknown
    }

    assert answers == {user_id: {"data": {"user": None}} for user_id in unknown}


async def test_user_by_id_shows_the_user(client: AsyncClient, super_admin: User) -> None:
    target = await make_user(roles=(Role.READ_ONLY, Role.ADMIN), display_name="Shown")
    token = await login(client, super_admin)

    body = await graphql(client, USER, {"id": gid(target)}, token=token)

    shown = assert_ok(body)["user"]
    assert shown["id"] == gid(target)
    assert shown["email"] == target.email
    assert shown["displayName"] == "Shown"
    assert shown["roles"] == ["ADMIN", "READ_ONLY"]
    assert shown["status"] == "ACTIVE"
    assert shown["lastLoginAt"] is None
    assert shown["createdAt"].endswith(("+00:00", "Z"))


async def test_mutations_on_an_unknown_user_are_not_found(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    outcomes = {}

    for user_id in ("999999", "abc"):
        outcomes["updateUser", user_id] = outcome(
            await graphql(
                client, UPDATE_USER, {"id": user_id, "input": {"displayName": "x"}}, token=token
            )
        )
        outcomes["resetPassword", user_id] = outcome(
            await graphql(
                client,
                RESET_PASSWORD,
                {"userId": user_id, "newPassword": NEW_PASSWORD},
                token=token,
            )
        )
        outcomes["deleteUser", user_id] = outcome(
            await graphql(client, DELETE_USER, {"id": user_id}, token=token)
        )

    assert len(outcomes) == 6
    assert outcomes == dict.fromkeys(outcomes, "NOT_FOUND")
    assert await User.all().count() == 1


# --- secrets --------------------------------------------------------------------------


async def test_no_response_carries_a_password_hash(client: AsyncClient, super_admin: User) -> None:
    token = await login(client, super_admin)
    target = await make_user()
    responses = [
        await graphql(client, CREATE_USER, {"input": new_user_input()}, token=token),
        await graphql(client, USERS, token=token),
        await graphql(client, USER, {"id": gid(target)}, token=token),
        await graphql(
            client, UPDATE_USER, {"id": gid(target), "input": {"displayName": "x"}}, token=token
        ),
        await graphql(
            client,
            RESET_PASSWORD,
            {"userId": gid(target), "newPassword": NEW_PASSWORD},
            token=token,
        ),
        await graphql(client, LOGIN, {"email": target.email, "password": NEW_PASSWORD}),
        await graphql(client, USER, {"id": gid(target)}, token=token),
    ]
    hashes = [user.password_hash for user in await User.all()]

    text = json.dumps(responses)
    assert "$argon2" not in text
    assert PASSWORD not in text
    assert NEW_PASSWORD not in text
    assert not any(password_hash in text for password_hash in hashes)


async def test_the_user_type_has_no_password_field(client: AsyncClient, super_admin: User) -> None:
    token = await login(client, super_admin)

    body = await graphql(client, "query { me { passwordHash } }", token=token)

    assert_refused(body, "BAD_USER_INPUT")


# --- concurrency ----------------------------------------------------------------------


async def test_two_super_admins_stepping_down_at_once_leave_one_behind(
    client: AsyncClient, super_admin: User
) -> None:
    other = await make_user(roles=(Role.SUPER_ADMIN,))
    tokens = {
        super_admin.id: await login(client, super_admin),
        other.id: await login(client, other),
    }

    # A race is won or lost by timing; several rounds make a lost one show.
    rounds = []
    for _ in range(5):
        await User.filter(id__in=list(tokens)).update(roles_encoded=",SUPER_ADMIN,")
        answers = await asyncio.gather(
            *(
                graphql(
                    client,
                    UPDATE_USER,
                    {
                        "id": global_ids.global_id(global_ids.USER, user_id),
                        "input": {"roles": ["ADMIN"]},
                    },
                    token=token,
                )
                for user_id, token in tokens.items()
            )
        )
        survivors = [user for user in await User.all() if user.is_super_admin and user.is_active]
        rounds.append((sorted(outcome(answer) for answer in answers), len(survivors)))

    assert rounds == [(["FORBIDDEN", "ok"], 1)] * 5


async def test_two_super_admins_deleting_each_other_at_once_leave_one_behind(
    client: AsyncClient, super_admin: User
) -> None:
    other = await make_user(roles=(Role.SUPER_ADMIN,))
    first_token, other_token = await login(client, super_admin), await login(client, other)

    answers = await asyncio.gather(
        graphql(client, DELETE_USER, {"id": gid(other)}, token=first_token),
        graphql(client, DELETE_USER, {"id": gid(super_admin)}, token=other_token),
    )

    # The loser is refused by the last-super-admin rule, or, when the winner's delete
    # commits before the loser's request is authenticated, as a deleted user.
    outcomes = sorted(outcome(answer) for answer in answers)
    assert outcomes in (["FORBIDDEN", "ok"], ["UNAUTHENTICATED", "ok"])
    assert await User.all().count() == 1


async def test_creating_one_email_twice_at_once_is_a_conflict(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    answers = await asyncio.gather(
        *(
            graphql(client, CREATE_USER, {"input": new_user_input(email=email)}, token=token)
            for email in ("twice@example.com", "TWICE@example.com")
        )
    )

    assert sorted(outcome(answer) for answer in answers) == ["CONFLICT", "ok"]
    assert await User.filter(email="twice@example.com").count() == 1
