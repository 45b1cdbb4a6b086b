"""An API key acts as its owner narrowed by its scopes: every operation of the contract, for
every owner role and key scope set, runs only if both the role and the scope allow it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient

from models import ApiKey, Role, Scope, User
from models.users import encode_roles
from tests.support.documents import LOGOUT, ME_ID_EMAIL
from tests.support.factories import PASSWORD, gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

pytestmark = pytest.mark.asyncio(loop_scope="module")

SA, ADMIN, RO = Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY
READ, WRITE, ADMIN_SCOPE = Scope.READ, Scope.WRITE, Scope.ADMIN

# The contract's permission table, restated here rather than read from the code: the roles
# that may run each operation, and the scope a key needs to run it for its owner.
CONTRACT: dict[str, tuple[set[Role], Scope]] = {
    "me": ({SA, ADMIN, RO}, READ),
    "users": ({SA, ADMIN}, READ),
    "user": ({SA, ADMIN}, READ),
    "apiKeys": ({SA, ADMIN, RO}, READ),
    "apiKey": ({SA, ADMIN, RO}, READ),
    "keyMetrics": ({SA, ADMIN, RO}, READ),
    "createUser": ({SA}, ADMIN_SCOPE),
    "updateUser": ({SA, ADMIN}, ADMIN_SCOPE),
    "resetPassword": ({SA}, ADMIN_SCOPE),
    "deleteUser": ({SA}, ADMIN_SCOPE),
    "createApiKey": ({SA, ADMIN}, WRITE),
    "revokeKey": ({SA, ADMIN}, WRITE),
    "deleteApiKey": ({SA}, ADMIN_SCOPE),
}
SCOPE_SETS = [(READ,), (WRITE,), (ADMIN_SCOPE,), (READ, WRITE, ADMIN_SCOPE)]

CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id scopes createdBy { id } } }
}
"""


@pytest.fixture
def client(shared_client: AsyncClient) -> AsyncClient:
    return shared_client


@dataclass(frozen=True)
class World:
    owner: User
    target_user: User
    target_key: ApiKey
    target_password_hash: str

    @property
    def tag(self) -> str:
        """Tells this case's rows from those of the other cases in the shared database."""
        return str(self.owner.id)


@dataclass(frozen=True)
class Operation:
    document: str
    variables: Callable[[World], dict[str, Any]]
    # For mutations: whether the change is in the database. None for queries.
    took_effect: Callable[[World], Awaitable[bool]] | None = None


async def _user_created(world: World) -> bool:
    return await User.exists(email=f"created.by.key.{world.tag}@example.com")


async def _user_renamed(world: World) -> bool:
    stored = await User.get(id=world.target_user.id)
    return stored.display_name == f"Renamed by key {world.tag}"


async def _password_changed(world: World) -> bool:
    stored = await User.get(id=world.target_user.id)
    return stored.password_hash != world.target_password_hash


async def _user_deleted(world: World) -> bool:
    return not await User.exists(id=world.target_user.id)


async def _key_created(world: World) -> bool:
    return await ApiKey.exists(name=f"created by key {world.tag}")


async def _key_revoked(world: World) -> bool:
    return (await ApiKey.get(id=world.target_key.id)).revoked_at is not None


async def _key_deleted(world: World) -> bool:
    return not await ApiKey.exists(id=world.target_key.id)


def _user_id(world: World) -> dict[str, Any]:
    return {"id": gid(world.target_user)}


def _key_id(world: World) -> dict[str, Any]:
    return {"id": gid(world.target_key)}


OPERATIONS: dict[str, Operation] = {
    "me": Operation(ME_ID_EMAIL, lambda world: {}),
    "users": Operation("query { users { totalCount } }", lambda world: {}),
    "user": Operation("query User($id: ID!) { user(id: $id) { id } }", _user_id),
    "apiKeys": Operation("query { apiKeys { totalCount } }", lambda world: {}),
    "apiKey": Operation("query ApiKey($id: ID!) { apiKey(id: $id) { id } }", _key_id),
    "keyMetrics": Operation("query { keyMetrics { totalKeys } }", lambda world: {}),
    "createUser": Operation(
        "mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id } }",
        lambda world: {
            "input": {
                "email": f"created.by.key.{world.tag}@example.com",
                "displayName": "Created by a key",
                "password": PASSWORD,
                "roles": ["READ_ONLY"],
            }
        },
        _user_created,
    ),
    "updateUser": Operation(
        "mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {"
        " updateUser(id: $id, input: $input) { id } }",
        lambda world: {**_user_id(world), "input": {"displayName": f"Renamed by key {world.tag}"}},
        _user_renamed,
    ),
    "resetPassword": Operation(
        "mutation ResetPassword($userId: ID!, $newPassword: String!) {"
        " resetPassword(userId: $userId, newPassword: $newPassword) { id } }",
        lambda world: {
            "userId": gid(world.target_user),
            "newPassword": "a brand new password",
        },
        _password_changed,
    ),
    "deleteUser": Operation(
        "mutation DeleteUser($id: ID!) { deleteUser(id: $id) }", _user_id, _user_deleted
    ),
    "createApiKey": Operation(
        # Without `createdBy`, which needs the READ scope besides (tests/users/test_privacy.py).
        "mutation CreateApiKey($input: CreateApiKeyInput!) {"
        " createApiKey(input: $input) { secret apiKey { id scopes } } }",
        # Only keys holding WRITE get this far, so WRITE is always a scope they may grant.
        lambda world: {"input": {"name": f"created by key {world.tag}", "scopes": ["WRITE"]}},
        _key_created,
    ),
    "revokeKey": Operation(
        "mutation RevokeKey($id: ID!) { revokeKey(id: $id) { id status } }",
        _key_id,
        _key_revoked,
    ),
    "deleteApiKey": Operation(
        "mutation DeleteApiKey($id: ID!) { deleteApiKey(id: $id) }", _key_id, _key_deleted
    ),
}

CASES = [
    pytest.param(role, scopes, operation, id=f"{role}-{'+'.join(scopes)}-{operation}")
    for role in (SA, ADMIN, RO)
    for scopes in SCOPE_SETS
    for operation in CONTRACT
]


def key_header(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


@pytest.mark.parametrize(("role", "scopes", "operation"), CASES)
async def test_key_runs_an_operation_only_if_owner_role_and_key_scope_both_allow_it(
    client: AsyncClient, role: Role, scopes: tuple[Scope, ...], operation: str
) -> None:
    owner = await make_user(roles=(role,))
    target_user = await make_user(roles=(RO,))
    target_key, _ = await make_api_key(target_user, name="target")
    world = World(owner, target_user, target_key, target_user.password_hash)
    _, secret = await make_api_key(owner, scopes=scopes, name="caller")
    roles_allowed, scope_needed = CONTRACT[operation]
    spec = OPERATIONS[operation]

    body = await graphql(client, spec.document, spec.variables(world), headers=key_header(secret))

    allowed = role in roles_allowed and scope_needed in scopes
    if allowed:
        assert "errors" not in body, body
        assert body["data"][operation] is not None
    else:
        assert error_codes(body) == ["FORBIDDEN"]
        assert (body.get("data") or {}).get(operation) is None
        # Only a refusal for the key's scope says which scope; a role's refusal does not.
        only_scope_missing = role in roles_allowed
        expected = scope_needed.value if only_scope_missing else None
        assert body["errors"][0]["extensions"].get("requiredScope") == expected
    if spec.took_effect is not None:
        assert await spec.took_effect(world) == allowed


async def test_key_of_an_owner_with_several_roles_acts_with_the_strongest(
    client: AsyncClient,
) -> None:
    owner = await make_user(roles=(RO, ADMIN))
    target, _ = await make_api_key(owner, name="target")
    _, secret = await make_api_key(owner, scopes=(WRITE,))

    body = await graphql(
        client, OPERATIONS["revokeKey"].document, {"id": gid(target)}, headers=key_header(secret)
    )

    assert body["data"]["revokeKey"]["status"] == "REVOKED"
    assert (await ApiKey.get(id=target.id)).revoked_at is not None


async def test_key_follows_its_owner_current_role(client: AsyncClient) -> None:
    owner = await make_user(roles=(ADMIN,))
    target, _ = await make_api_key(owner, name="target")
    _, secret = await make_api_key(owner, scopes=(READ, WRITE, ADMIN_SCOPE))
    await User.filter(id=owner.id).update(roles_encoded=encode_roles([RO]))

    body = await graphql(
        client, OPERATIONS["revokeKey"].document, {"id": gid(target)}, headers=key_header(secret)
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert (await ApiKey.get(id=target.id)).revoked_at is None


@pytest.mark.parametrize(
    ("held", "asked"),
    [((WRITE,), ["READ"]), ((READ, WRITE), ["READ", "ADMIN"]), ((WRITE,), ["WRITE", "ADMIN"])],
    ids=["WRITE asks READ", "READ+WRITE asks READ+ADMIN", "WRITE asks WRITE+ADMIN"],
)
async def test_key_cannot_create_a_key_with_a_scope_it_lacks(
    client: AsyncClient, held: tuple[Scope, ...], asked: list[str]
) -> None:
    owner = await make_user(roles=(SA,))
    _, secret = await make_api_key(owner, scopes=held)
    name = f"wider than key of {owner.id}"

    body = await graphql(
        client,
        CREATE_API_KEY,
        {"input": {"name": name, "scopes": asked}},
        headers=key_header(secret),
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["reason"] == "KEY_SCOPE_EXCEEDED"
    assert not await ApiKey.exists(name=name)


async def test_key_can_create_a_key_with_scopes_it_holds(client: AsyncClient) -> None:
    owner = await make_user(roles=(ADMIN,))
    _, secret = await make_api_key(owner, scopes=(READ, WRITE))

    body = await graphql(
        client,
        CREATE_API_KEY,
        {"input": {"name": "narrower", "scopes": ["READ"]}},
        headers=key_header(secret),
    )

    created = body["data"]["createApiKey"]
    assert created["apiKey"]["scopes"] == ["READ"]
    assert created["apiKey"]["createdBy"] == {"id": gid(owner)}
    stored = await ApiKey.get(name="narrower")
    assert (stored.scopes, stored.created_by_id) == ([READ], owner.id)
    new_key = await graphql(client, ME_ID_EMAIL, headers=key_header(created["secret"]))
    assert new_key["data"]["me"]["id"] == gid(owner)


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
async def test_key_is_accepted_in_either_header(client: AsyncClient, header: str) -> None:
    owner = await make_user(roles=(RO,))
    api_key, secret = await make_api_key(owner)
    value = f"Bearer {secret}" if header == "Authorization" else secret

    body = await graphql(client, ME_ID_EMAIL, headers={header: value})

    assert body == {"data": {"me": {"id": gid(owner), "email": owner.email}}}
    assert (await ApiKey.get(id=api_key.id)).total_calls == 1


async def test_session_token_in_the_api_key_header_is_unauthenticated(
    client: AsyncClient,
) -> None:
    user = await make_user(roles=(SA,))
    token = await login(client, user)

    body = await graphql(client, ME_ID_EMAIL, headers={"X-API-Key": token})

    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_key_and_session_sent_together_are_unauthenticated(client: AsyncClient) -> None:
    user = await make_user(roles=(SA,))
    token = await login(client, user)
    api_key, secret = await make_api_key(user)

    body = await graphql(client, ME_ID_EMAIL, token=token, headers={"X-API-Key": secret})

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert (await ApiKey.get(id=api_key.id)).total_calls == 0


@pytest.mark.parametrize("scopes", SCOPE_SETS, ids=lambda scopes: "+".join(scopes))
async def test_key_cannot_log_out(client: AsyncClient, scopes: tuple[Scope, ...]) -> None:
    owner = await make_user(roles=(SA,))
    api_key, secret = await make_api_key(owner, scopes=scopes)

    body = await graphql(client, LOGOUT, headers=key_header(secret))

    assert error_codes(body) == ["FORBIDDEN"]
    assert body.get("data") is None
    stored = await ApiKey.get(id=api_key.id)
    assert (stored.revoked_at, stored.total_calls) == (None, 1)
