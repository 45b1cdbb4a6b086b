"""Every credential weaker than a super-admin's session (or a super-admin's key with the ADMIN
scope) is refused on every service-account mutation and on making a key for an account,
and the database stays as it was; reading accounts needs the role that reads users."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from models import ApiKey, AuditEvent, Role, Scope, ServiceAccount, User
from tests.service_accounts.documents import (
    ACCOUNT_NODE,
    ACCOUNTS,
    CREATE_ACCOUNT,
    CREATE_KEY,
    DELETE_ACCOUNT,
    KEY_OWNER,
    UPDATE_ACCOUNT,
)
from tests.support.factories import gid, make_api_key, make_service_account, make_user
from tests.support.graphql import GraphQLClient

ALL_SCOPES = (Scope.READ, Scope.WRITE, Scope.ADMIN)

# (description, how to get the credential): each is refused on every mutation below.
Credential = Callable[[GraphQLClient, User], Awaitable[str]]


async def _session(gql: GraphQLClient, role: Role) -> str:
    return (await gql.user_with_token(role))[1]


async def _user_key(role: Role, scopes: tuple[Scope, ...]) -> str:
    return (await make_api_key(await make_user(roles=(role,)), scopes=scopes))[1]


async def _account_key(creator: User, role: Role, scopes: tuple[Scope, ...]) -> str:
    account = await make_service_account(creator, roles=(role,))
    return (await make_api_key(creator, scopes=scopes, service_account=account))[1]


WEAKER: dict[str, Credential] = {
    "admin session": lambda gql, _: _session(gql, Role.ADMIN),
    "read-only session": lambda gql, _: _session(gql, Role.READ_ONLY),
    "super-admin's READ key": lambda _, root: _key_of(root, (Scope.READ,)),
    "super-admin's WRITE key": lambda _, root: _key_of(root, (Scope.WRITE,)),
    "super-admin's READ+WRITE key": lambda _, root: _key_of(root, (Scope.READ, Scope.WRITE)),
    "admin's key with every scope": lambda _, __: _user_key(Role.ADMIN, ALL_SCOPES),
    "read-only user's key with every scope": lambda _, __: _user_key(Role.READ_ONLY, ALL_SCOPES),
    "ADMIN account's key with every scope": lambda _, root: _account_key(
        root, Role.ADMIN, ALL_SCOPES
    ),
}


async def _key_of(user: User, scopes: tuple[Scope, ...]) -> str:
    return (await make_api_key(user, scopes=scopes))[1]


def _mutations(account: ServiceAccount) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "createServiceAccount": (
            CREATE_ACCOUNT,
            {"input": {"name": "intruder", "roles": ["SUPER_ADMIN"]}},
        ),
        "updateServiceAccount": (
            UPDATE_ACCOUNT,
            {"id": gid(account), "input": {"roles": ["SUPER_ADMIN"], "name": "mine"}},
        ),
        "deleteServiceAccount": (DELETE_ACCOUNT, {"id": gid(account)}),
    }


def _key_for(account: ServiceAccount) -> dict[str, Any]:
    return {"input": {"name": "stolen", "scopes": ["READ"], "serviceAccountId": gid(account)}}


async def _snapshot() -> list[Any]:
    accounts = await ServiceAccount.all().order_by("id").values_list("id", "name", "roles_encoded")
    keys = await ApiKey.filter(service_account_id__isnull=False).values_list("id", "revoked_at")
    return [accounts, keys]


@pytest.mark.parametrize("credential", list(WEAKER))
async def test_weaker_credentials_are_refused_on_every_service_account_change(
    gql: GraphQLClient, super_admin: User, credential: str
) -> None:
    account = await make_service_account(super_admin, roles=(Role.READ_ONLY,), name="target")
    await make_api_key(super_admin, service_account=account, name="account key")
    token = await WEAKER[credential](gql, super_admin)
    before = await _snapshot()

    results = {
        name: await gql.execute(document, variables, token=token)
        for name, (document, variables) in _mutations(account).items()
    }

    assert {name: result.codes for name, result in results.items()} == {
        name: ["FORBIDDEN"] for name in results
    }
    assert all("secret" not in str(result.body) for result in results.values())
    assert await _snapshot() == before
    refused = await AuditEvent.filter(outcome="FORBIDDEN")
    assert {event.action for event in refused} == {
        "service_account.create",
        "service_account.update",
        "service_account.delete",
    }


# A super-admin's key holding READ may make a READ key for an account: not weaker there.
@pytest.mark.parametrize(
    "credential", [name for name in WEAKER if name != "super-admin's READ+WRITE key"]
)
async def test_weaker_credentials_cannot_make_a_key_for_an_account(
    gql: GraphQLClient, super_admin: User, credential: str
) -> None:
    account = await make_service_account(super_admin, roles=(Role.SUPER_ADMIN,), name="target")
    token = await WEAKER[credential](gql, super_admin)
    before = await _snapshot()

    result = await gql.execute(CREATE_KEY, _key_for(account), token=token)

    assert result.codes == ["FORBIDDEN"]
    assert "secret" not in str(result.data)
    assert await _snapshot() == before
    assert await AuditEvent.filter(action="api_key.create", outcome="FORBIDDEN").exists()


async def test_an_admin_making_a_key_for_an_account_is_told_why(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, roles=(Role.READ_ONLY,))
    _, token = await gql.user_with_token(Role.ADMIN)

    result = await gql.execute(CREATE_KEY, _key_for(account), token=token)

    assert result.codes == ["FORBIDDEN"]
    assert result.errors[0]["extensions"]["reason"] == "SUPER_ADMIN_REQUIRED"


async def test_a_super_admin_key_with_the_admin_scope_may_manage_accounts(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, secret = await make_api_key(super_admin, scopes=(Scope.ADMIN,))

    created = await gql.execute(
        CREATE_ACCOUNT, {"input": {"name": "by key", "roles": ["READ_ONLY"]}}, token=secret
    )

    assert created.ok, created.body
    account = created.data["createServiceAccount"]
    assert account["createdBy"] == {"email": super_admin.email}
    event = await AuditEvent.get(action="service_account.create")
    assert event.actor_type == "api_key"
    assert event.details is not None
    assert event.details["keyOwnerId"] == super_admin.id


@pytest.mark.parametrize(
    "credential",
    ["read-only session", "super-admin's WRITE key", "read-only user's key with every scope"],
)
async def test_reading_accounts_needs_the_users_permission(
    gql: GraphQLClient, super_admin: User, credential: str
) -> None:
    account = await make_service_account(super_admin)
    token = await WEAKER[credential](gql, super_admin)

    listed = await gql.execute(ACCOUNTS, {}, token=token)
    node = await gql.execute(ACCOUNT_NODE, {"id": gid(account)}, token=token)

    assert listed.codes == ["FORBIDDEN"]
    assert node.codes == ["FORBIDDEN"]
    assert listed.data is None


async def test_a_read_only_caller_sees_a_key_but_not_its_owner(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin)
    api_key, _ = await make_api_key(super_admin, service_account=account)
    _, token = await gql.user_with_token(Role.READ_ONLY)

    result = await gql.execute(KEY_OWNER, {"id": gid(api_key)}, token=token)

    assert sorted(result.codes) == ["FORBIDDEN", "FORBIDDEN"]  # createdBy and owner
    assert result.data["apiKey"] == {"status": "ACTIVE", "createdBy": None, "owner": None}
