"""The gate on the fields: rollKey and updateApiKey are for SUPER_ADMIN and ADMIN (keys need
WRITE), currentApiKey for every role (keys need READ): for sessions of every role, and for
keys of every owner role and scope set. The target here is the caller's own key (for a key,
a sibling with the same scopes), so only the gate decides; whose keys may be changed is
tests/api_keys/test_key_escalation.py."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from models import ApiKey, Role, Scope
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

pytestmark = pytest.mark.asyncio(loop_scope="module")

SA, ADMIN, RO = Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY
READ, WRITE, ADMIN_SCOPE = Scope.READ, Scope.WRITE, Scope.ADMIN
SCOPE_SETS = [(READ,), (WRITE,), (ADMIN_SCOPE,), (READ, WRITE, ADMIN_SCOPE)]

CONTRACT: dict[str, tuple[set[Role], Scope]] = {
    "rollKey": ({SA, ADMIN}, WRITE),
    "updateApiKey": ({SA, ADMIN}, WRITE),
    "currentApiKey": ({SA, ADMIN, RO}, READ),
}
DOCUMENTS = {
    "rollKey": "mutation Roll($id: ID!) { rollKey(id: $id) { secret apiKey { id } } }",
    "updateApiKey": "mutation Update($id: ID!) {"
    ' updateApiKey(id: $id, input: {name: "renamed"}) { id name } }',
    "currentApiKey": "query Current($id: ID!) { currentApiKey { id } apiKey(id: $id) { id } }",
}


@pytest.fixture
def client(shared_client: AsyncClient) -> AsyncClient:
    return shared_client


async def took_effect(operation: str, target: ApiKey) -> bool:
    stored = await ApiKey.get(id=target.id)
    if operation == "rollKey":
        return stored.key_hash != target.key_hash
    if operation == "updateApiKey":
        return stored.name == "renamed"
    return False


def check(body: dict[str, Any], operation: str, allowed: bool) -> None:
    if allowed:
        assert "errors" not in body, body
    else:
        assert error_codes(body)[:1] == ["FORBIDDEN"], body
        assert (body["data"] or {}).get(operation) is None
        # The gate's refusals name no rule of the data.
        assert "reason" not in body["errors"][0]["extensions"]


@pytest.mark.parametrize(
    ("role", "scopes", "operation"),
    [
        pytest.param(role, scopes, operation, id=f"{role}-{'+'.join(scopes)}-{operation}")
        for role in (SA, ADMIN, RO)
        for scopes in SCOPE_SETS
        for operation in CONTRACT
    ],
)
async def test_key_runs_key_changes_only_if_owner_role_and_key_scope_allow(
    client: AsyncClient, role: Role, scopes: tuple[Scope, ...], operation: str
) -> None:
    owner = await make_user(roles=(role,))
    target, _ = await make_api_key(owner, scopes=scopes, name="target")
    _, secret = await make_api_key(owner, scopes=scopes, name="caller")
    roles_allowed, scope_needed = CONTRACT[operation]

    body = await graphql(
        client, DOCUMENTS[operation], {"id": gid(target)}, headers={"X-API-Key": secret}
    )

    allowed = role in roles_allowed and scope_needed in scopes
    check(body, operation, allowed)
    if operation == "currentApiKey" and allowed:
        assert body["data"]["currentApiKey"]["id"] != gid(target)
    else:
        assert await took_effect(operation, target) == (allowed and operation != "currentApiKey")


@pytest.mark.parametrize(
    ("role", "operation"),
    [
        pytest.param(role, operation, id=f"{role}-{operation}")
        for role in (SA, ADMIN, RO)
        for operation in CONTRACT
    ],
)
async def test_session_runs_key_changes_only_for_the_roles_allowed(
    client: AsyncClient, role: Role, operation: str
) -> None:
    user = await make_user(roles=(role,))
    token = await login(client, user)
    target, _ = await make_api_key(user, scopes=(READ, WRITE, ADMIN_SCOPE), name="target")

    body = await graphql(client, DOCUMENTS[operation], {"id": gid(target)}, token=token)

    allowed = role in CONTRACT[operation][0]
    check(body, operation, allowed)
    if operation != "currentApiKey":
        assert await took_effect(operation, target) == allowed


@pytest.mark.parametrize("operation", list(CONTRACT))
async def test_anonymous_callers_are_unauthenticated(client: AsyncClient, operation: str) -> None:
    target, _ = await make_api_key(await make_user(roles=(RO,)), name="target")

    body = await graphql(client, DOCUMENTS[operation], {"id": gid(target)})

    assert error_codes(body)[:1] == ["UNAUTHENTICATED"]
    assert not await took_effect(operation, target)


async def test_a_key_can_roll_itself_and_its_new_secret_works(client: AsyncClient) -> None:
    key, secret = await make_api_key(await make_user(roles=(ADMIN,)), scopes=(READ, WRITE))

    body = await graphql(
        client, DOCUMENTS["rollKey"], {"id": gid(key)}, headers={"X-API-Key": secret}
    )

    new_secret = body["data"]["rollKey"]["secret"]
    again = await graphql(client, "{ currentApiKey { id } }", headers={"X-API-Key": new_secret})
    assert again["data"]["currentApiKey"]["id"] == gid(key)
