"""updateApiKey, the new fields of createApiKey, and currentApiKey."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from models import ApiKey, AuditEvent, Scope, User
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql

UPDATE = """
mutation Update($id: ID!, $input: UpdateApiKeyInput!) {
  updateApiKey(id: $id, input: $input) {
    id name description rateLimitPerMinute allowedCidrs scopes maskedKey
  }
}
"""
CREATE = """
mutation Create($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id rateLimitPerMinute allowedCidrs rateLimitedCalls } }
}
"""
CURRENT = """
{ currentApiKey { id name scopes expiresAt rateLimitPerMinute allowedCidrs totalCalls
                  lastUsedIp rateLimitedCalls rolledAt previousSecretExpiresAt } }
"""


async def update(client: AsyncClient, token: str, key: ApiKey, **changes: Any) -> dict[str, Any]:
    return await graphql(client, UPDATE, {"id": gid(key), "input": changes}, token=token)


async def test_update_changes_only_the_given_fields(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    key, _ = await make_api_key(owner, name="old name", scopes=(Scope.READ,))
    await ApiKey.filter(id=key.id).update(description="keep me")

    body = await update(
        client,
        admin_token,
        key,
        name="  new name ",
        rateLimitPerMinute=120,
        allowedCidrs=["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"],
    )

    assert body["data"]["updateApiKey"] == {
        "id": gid(key),
        "name": "new name",
        "description": "keep me",
        "rateLimitPerMinute": 120,
        "allowedCidrs": ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"],
        "scopes": ["READ"],
        "maskedKey": key.masked_key,
    }
    stored = await ApiKey.get(id=key.id)
    assert (stored.key_hash, stored.scopes_encoded) == (key.key_hash, key.scopes_encoded)


async def test_update_with_null_clears_the_optional_fields(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    key, _ = await make_api_key(owner)
    await ApiKey.filter(id=key.id).update(
        description="x", rate_limit_per_minute=5, allowed_cidrs_encoded="10.0.0.0/8"
    )

    body = await update(
        client, admin_token, key, description=None, rateLimitPerMinute=None, allowedCidrs=None
    )

    edited = body["data"]["updateApiKey"]
    assert (edited["description"], edited["rateLimitPerMinute"], edited["allowedCidrs"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"name": None},
        {"name": "x" * 101},
        {"description": "x" * 1001},
        {"rateLimitPerMinute": 0},
        {"rateLimitPerMinute": 100_001},
        {"allowedCidrs": []},
        {"allowedCidrs": ["10.0.0.1/24"]},
        {"allowedCidrs": ["not a network"]},
        {"allowedCidrs": ["10.0.0.0/33"]},
        {"allowedCidrs": [f"10.0.{n}.0/24" for n in range(51)]},
    ],
    ids=lambda changes: next(iter(changes)) + "-" + str(next(iter(changes.values())))[:20],
)
async def test_update_refuses_bad_values_and_changes_nothing(
    client: AsyncClient, owner: User, admin_token: str, changes: dict[str, Any]
) -> None:
    key, _ = await make_api_key(owner, name="unchanged")

    body = await update(client, admin_token, key, **changes)

    assert error_codes(body) == ["BAD_USER_INPUT"]
    stored = await ApiKey.get(id=key.id)
    assert (stored.name, stored.rate_limit_per_minute, stored.allowed_cidrs) == (
        "unchanged",
        None,
        None,
    )


async def test_update_cannot_touch_scopes(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    key, _ = await make_api_key(owner)

    body = await update(client, admin_token, key, scopes=["ADMIN"])

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (await ApiKey.get(id=key.id)).scopes == [Scope.READ]


async def test_update_of_an_unknown_key_is_not_found(client: AsyncClient, admin_token: str) -> None:
    body = await graphql(
        client, UPDATE, {"id": "424242", "input": {"name": "x"}}, token=admin_token
    )

    assert error_codes(body) == ["NOT_FOUND"]


async def test_update_is_audited_with_the_changed_fields(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    key, _ = await make_api_key(owner, name="same")

    await update(client, admin_token, key, name="same", allowedCidrs=["10.1.0.0/16"])

    event = await AuditEvent.get(action="api_key.update")
    assert (event.target_id, event.actor_type, event.outcome) == (key.id, "user", "OK")
    assert event.details == {"changed": {"allowedCidrs": ["10.1.0.0/16"]}}


async def test_create_takes_a_rate_limit_and_an_allow_list(
    client: AsyncClient, admin_token: str
) -> None:
    body = await graphql(
        client,
        CREATE,
        {
            "input": {
                "name": "limited",
                "scopes": ["READ"],
                "rateLimitPerMinute": 60,
                "allowedCidrs": ["2001:DB8:0::/48"],
            }
        },
        token=admin_token,
    )

    assert body["data"]["createApiKey"]["apiKey"] == {
        "id": body["data"]["createApiKey"]["apiKey"]["id"],
        "rateLimitPerMinute": 60,
        "allowedCidrs": ["2001:db8::/48"],
        "rateLimitedCalls": 0,
    }


@pytest.mark.parametrize(
    "extra", [{"rateLimitPerMinute": -5}, {"allowedCidrs": ["192.168.1.1/16"]}]
)
async def test_create_refuses_a_bad_rate_limit_or_allow_list(
    client: AsyncClient, admin_token: str, extra: dict[str, Any]
) -> None:
    body = await graphql(
        client, CREATE, {"input": {"name": "bad", "scopes": ["READ"], **extra}}, token=admin_token
    )

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert not await ApiKey.exists(name="bad")


async def test_current_api_key_describes_the_calling_key(client: AsyncClient) -> None:
    key, secret = await make_api_key(await make_user(), scopes=(Scope.READ, Scope.WRITE))

    body = await graphql(client, CURRENT, headers={"X-API-Key": secret})

    current = body["data"]["currentApiKey"]
    assert current["id"] == gid(key)
    assert current["scopes"] == ["READ", "WRITE"]
    assert current["totalCalls"] == 1
    assert current["lastUsedIp"] == "127.0.0.1"
    assert current["rateLimitedCalls"] == 0


async def test_current_api_key_is_null_for_a_session(client: AsyncClient, admin_token: str) -> None:
    body = await graphql(client, CURRENT, token=admin_token)

    assert body == {"data": {"currentApiKey": None}}


async def test_current_api_key_needs_a_credential(client: AsyncClient) -> None:
    body = await graphql(client, CURRENT)

    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_current_api_key_needs_the_read_scope(client: AsyncClient) -> None:
    _, secret = await make_api_key(await make_user(), scopes=(Scope.WRITE,))

    body = await graphql(client, CURRENT, headers={"X-API-Key": secret})

    assert error_codes(body) == ["FORBIDDEN"]
