"""`disableKey` stops a key, reversibly; `enableKey` starts it again, for the key's owner or
a super-admin only, since it re-opens access."""

from __future__ import annotations

import httpx
import pytest

from auth.audit import AuditAction
from auth.principal import Principal
from models import ApiKey, AuditEvent, Role, Scope, User
from resolvers.api_keys import revoke_key
from tests.support.documents import ME_ID
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient
from tests.support.verification import DISABLE_KEY, ENABLE_KEY, verdict
from tests.verification.conftest import Root


async def _status(client: httpx.AsyncClient, secret: str) -> tuple[int, list[str]]:
    response = await client.post(
        "/graphql", json={"query": ME_ID}, headers={"Authorization": f"Bearer {secret}"}
    )
    body = response.json()
    return response.status_code, [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_disabled_key_is_refused_then_enabled_key_works(
    gql: GraphQLClient, root: Root
) -> None:
    owner, token = await gql.user_with_token(Role.ADMIN)
    key, secret = await make_api_key(owner)

    disabled = await gql.execute(DISABLE_KEY, {"id": gid(key)}, token=token)
    refused = await _status(gql.http, secret)
    verified_disabled = await verdict(gql.http, root.secret, key=secret)
    enabled = await gql.execute(ENABLE_KEY, {"id": gid(key)}, token=token)
    working = await _status(gql.http, secret)
    verified_enabled = await verdict(gql.http, root.secret, key=secret)

    assert disabled.data["disableKey"]["status"] == "DISABLED"
    assert refused[1] == ["UNAUTHENTICATED"]
    assert verified_disabled["code"] == "DISABLED"
    assert enabled.data["enableKey"]["status"] == "ACTIVE"
    assert working == (200, [])
    assert verified_enabled["code"] == "VALID"
    actions = [event.action for event in await AuditEvent.filter(target_id=key.id)]
    assert str(AuditAction.API_KEY_DISABLE) in actions
    assert str(AuditAction.API_KEY_ENABLE) in actions


async def test_admin_may_disable_anyones_key_but_not_enable_it(gql: GraphQLClient) -> None:
    owner = await make_user(roles=(Role.SUPER_ADMIN,))
    key, _ = await make_api_key(owner)
    _, admin_token = await gql.user_with_token(Role.ADMIN)
    _, super_token = await gql.user_with_token(Role.SUPER_ADMIN)

    disabled = await gql.execute(DISABLE_KEY, {"id": gid(key)}, token=admin_token)
    not_enabled = await gql.execute(ENABLE_KEY, {"id": gid(key)}, token=admin_token)
    enabled = await gql.execute(ENABLE_KEY, {"id": gid(key)}, token=super_token)

    assert disabled.ok
    assert not_enabled.errors[0]["extensions"]["reason"] == "NOT_KEY_OWNER"
    assert enabled.data["enableKey"]["status"] == "ACTIVE"


async def test_read_only_may_neither_disable_nor_enable(gql: GraphQLClient) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    key, _ = await make_api_key(owner)
    _, token = await gql.user_with_token(Role.READ_ONLY)

    disable = await gql.execute(DISABLE_KEY, {"id": gid(key)}, token=token)
    enable = await gql.execute(ENABLE_KEY, {"id": gid(key)}, token=token)

    assert (disable.codes, enable.codes) == (["FORBIDDEN"], ["FORBIDDEN"])
    assert (await ApiKey.get(id=key.id)).disabled_at is None


@pytest.mark.parametrize("scopes", [(Scope.READ,), (Scope.VERIFY,)])
async def test_weaker_keys_may_not_disable(gql: GraphQLClient, scopes: tuple[Scope, ...]) -> None:
    owner = await make_user(roles=(Role.SUPER_ADMIN,))
    key, _ = await make_api_key(owner)
    _, weaker = await make_api_key(owner, scopes=scopes)

    result = await gql.execute(DISABLE_KEY, {"id": gid(key)}, token=weaker)

    assert result.codes == ["FORBIDDEN"]


async def test_key_enables_only_keys_within_its_scopes(gql: GraphQLClient) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    strong, _ = await make_api_key(owner, scopes=(Scope.READ, Scope.ADMIN))
    _, writer = await make_api_key(owner, scopes=(Scope.WRITE,))
    await gql.execute(DISABLE_KEY, {"id": gid(strong)}, token=writer)

    result = await gql.execute(ENABLE_KEY, {"id": gid(strong)}, token=writer)

    assert result.errors[0]["extensions"]["reason"] == "KEY_SCOPE_EXCEEDED"
    assert (await ApiKey.get(id=strong.id)).disabled_at is not None


async def test_revoked_key_cannot_be_enabled(gql: GraphQLClient) -> None:
    owner, token = await gql.user_with_token(Role.ADMIN)
    key, _ = await make_api_key(owner)
    await revoke_key(Principal(user=owner), key.id)

    disabled = await gql.execute(DISABLE_KEY, {"id": gid(key)}, token=token)
    enabled = await gql.execute(ENABLE_KEY, {"id": gid(key)}, token=token)

    assert disabled.data["disableKey"]["status"] == "REVOKED"
    assert enabled.codes == ["CONFLICT"]


async def test_disabled_keys_are_listed_and_counted_apart(
    gql: GraphQLClient, customer: User
) -> None:
    owner, token = await gql.user_with_token(Role.ADMIN)
    key, _ = await make_api_key(owner)
    await make_api_key(customer)
    await gql.execute(DISABLE_KEY, {"id": gid(key)}, token=token)

    result = await gql.execute(
        "{ keyMetrics { totalKeys activeKeys } "
        "apiKeys(filter: {status: DISABLED}) { nodes { id } } }",
        token=token,
    )

    assert result.data["keyMetrics"] == {"totalKeys": 2, "activeKeys": 1}
    assert result.data["apiKeys"]["nodes"] == [{"id": gid(key)}]
