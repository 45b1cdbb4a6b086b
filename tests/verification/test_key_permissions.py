"""Permissions and credits on keys: set on create and update, checked, never changed by the
key itself, and never granted beyond the calling key's own."""

from __future__ import annotations

import pytest

from models import ApiKey, Role, Scope
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient

CREATE = """mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    secret apiKey { id permissions remaining refill { amount interval refilledAt } }
  }
}"""
UPDATE = """mutation($id: ID!, $input: UpdateApiKeyInput!) {
  updateApiKey(id: $id, input: $input) { permissions remaining refill { amount interval } }
}"""


async def test_create_with_permissions_and_credits(gql: GraphQLClient) -> None:
    _, token = await gql.user_with_token(Role.ADMIN)

    result = await gql.execute(
        CREATE,
        {
            "input": {
                "name": "billing",
                "scopes": ["READ"],
                "permissions": ["invoices:read", "admin:*", "invoices:read"],
                "refill": {"amount": 100, "interval": "DAILY"},
            }
        },
        token=token,
    )

    created = result.data["createApiKey"]["apiKey"]
    assert created["permissions"] == ["invoices:read", "admin:*"]
    assert created["remaining"] == 100  # a refill on an unlimited key starts at its amount
    assert created["refill"]["amount"] == 100
    assert created["refill"]["interval"] == "DAILY"


@pytest.mark.parametrize(
    "change",
    [
        {"permissions": ["Invoices:read"]},
        {"permissions": ["invoices"]},
        {"permissions": ["a:b"] * 1001},
        {"permissions": ["a b:c"]},
        {"remaining": -1},
        {"refill": {"amount": 0, "interval": "MONTHLY"}},
    ],
)
async def test_bad_permissions_and_credits_are_bad_input(
    gql: GraphQLClient, change: dict[str, object]
) -> None:
    _, token = await gql.user_with_token(Role.ADMIN)

    result = await gql.execute(
        CREATE, {"input": {"name": "x", "scopes": ["READ"], **change}}, token=token
    )

    assert result.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "change",
    [
        {"permissions": ["admin:*"]},
        {"remaining": 5},
        {"refill": {"amount": 5, "interval": "DAILY"}},
    ],
)
async def test_key_never_changes_its_own_permissions_or_credits(
    gql: GraphQLClient, change: dict[str, object]
) -> None:
    admin = await make_user(roles=(Role.ADMIN,))
    key, secret = await make_api_key(
        admin, scopes=(Scope.READ, Scope.WRITE), permissions=["a:b"], remaining=1
    )

    result = await gql.execute(UPDATE, {"id": gid(key), "input": change}, token=secret)

    assert result.errors[0]["extensions"]["reason"] == "OWN_KEY_LIMITS"
    stored = await ApiKey.get(id=key.id)
    assert (stored.permissions, stored.remaining) == (["a:b"], 1)


async def test_key_grants_only_permissions_it_holds(gql: GraphQLClient) -> None:
    admin = await make_user(roles=(Role.ADMIN,))
    _, secret = await make_api_key(admin, scopes=(Scope.READ, Scope.WRITE), permissions=["a:*"])
    document = CREATE
    inside = {"name": "x", "scopes": ["READ"], "permissions": ["a:read", "a:*"]}
    outside = {"name": "y", "scopes": ["READ"], "permissions": ["b:read"]}

    allowed = await gql.execute(document, {"input": inside}, token=secret)
    refused = await gql.execute(document, {"input": outside}, token=secret)

    assert allowed.ok
    assert refused.errors[0]["extensions"]["reason"] == "KEY_PERMISSIONS_EXCEEDED"


async def test_owner_updates_permissions_and_credits(gql: GraphQLClient) -> None:
    owner, token = await gql.user_with_token(Role.ADMIN)
    key, _ = await make_api_key(owner, permissions=["a:b"])

    changed = await gql.execute(
        UPDATE,
        {"id": gid(key), "input": {"permissions": ["c:d"], "remaining": 7}},
        token=token,
    )
    cleared = await gql.execute(
        UPDATE, {"id": gid(key), "input": {"permissions": None, "remaining": None}}, token=token
    )

    assert changed.data["updateApiKey"] == {"permissions": ["c:d"], "remaining": 7, "refill": None}
    assert cleared.data["updateApiKey"] == {"permissions": [], "remaining": None, "refill": None}
