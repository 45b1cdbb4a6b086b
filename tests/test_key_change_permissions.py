"""rollKey and updateApiKey follow revokeKey's row of the permission table (SUPER_ADMIN and
ADMIN; keys need WRITE), currentApiKey follows the queries' (every role; keys need READ):
for sessions of every role, and for keys of every owner role and scope set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from httpx import AsyncClient
from tortoise.contrib.test import tortoise_test_context

from gatehouse.app import create_app
from models import ApiKey, Role, Scope
from tests.conftest import (
    DATABASE_URL,
    SETTINGS,
    error_codes,
    gid,
    graphql,
    login,
    make_api_key,
    make_user,
)

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


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_database() -> AsyncIterator[None]:
    async with tortoise_test_context(["models"], db_url=DATABASE_URL) as context:
        yield
        connection = context.connections.get("default")
        await connection.close()
        await connection.db_delete()


@pytest_asyncio.fixture(loop_scope="module")
async def client(shared_database: None) -> AsyncIterator[AsyncClient]:
    app = create_app(SETTINGS, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


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
    target, _ = await make_api_key(await make_user(roles=(RO,)), name="target")
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
    token = await login(client, await make_user(roles=(role,)))
    target, _ = await make_api_key(await make_user(roles=(RO,)), name="target")

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
