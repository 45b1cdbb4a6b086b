"""Who may verify: a root key (VERIFY, an ADMIN or SUPER_ADMIN owner) on the /v1 route, and
on GraphQL also SUPER_ADMIN and ADMIN sessions. A VERIFY key may do nothing else."""

from __future__ import annotations

import httpx
import pytest

from auth.principal import Principal
from models import ApiKey, Role, Scope, User
from resolvers.api_keys import revoke_key
from resolvers.key_switches import disable_key
from tests.support.documents import ME_ID
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient
from tests.support.verification import VERIFY_API_KEY, verify
from tests.verification.conftest import Root


async def test_missing_root_key_is_401(client: httpx.AsyncClient, customer: User) -> None:
    _, secret = await make_api_key(customer)

    response = await verify(client, None, key=secret)

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unknown_revoked_or_disabled_root_key_is_401(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer)
    other, other_secret = await make_api_key(root.owner, scopes=(Scope.VERIFY,))
    third, third_secret = await make_api_key(root.owner, scopes=(Scope.VERIFY,))
    await revoke_key(Principal(user=root.owner), other.id)
    await disable_key(Principal(user=root.owner), third.id)

    statuses = [
        (await verify(client, root_secret, key=secret)).status_code
        for root_secret in ("gk_" + "B" * 43, other_secret, third_secret, "garbage")
    ]

    assert statuses == [401, 401, 401, 401]


async def test_session_token_is_not_a_root_key(gql: GraphQLClient, customer: User) -> None:
    _, secret = await make_api_key(customer)
    _, token = await gql.user_with_token(Role.SUPER_ADMIN)

    response = await verify(gql.http, token, key=secret)

    assert response.status_code == 401


@pytest.mark.parametrize("scopes", [(Scope.READ,), (Scope.READ, Scope.WRITE, Scope.ADMIN)])
async def test_key_without_verify_is_403_naming_the_scope(
    client: httpx.AsyncClient, customer: User, scopes: tuple[Scope, ...]
) -> None:
    admin = await make_user(roles=(Role.SUPER_ADMIN,))
    _, root_secret = await make_api_key(admin, scopes=scopes)
    _, secret = await make_api_key(customer)

    response = await verify(client, root_secret, key=secret)

    assert response.status_code == 403
    extensions = response.json()["errors"][0]["extensions"]
    assert extensions == {"code": "FORBIDDEN", "requiredScope": "VERIFY"}


async def test_verify_key_of_a_read_only_owner_is_403(
    client: httpx.AsyncClient, customer: User
) -> None:
    reader = await make_user(roles=(Role.READ_ONLY,))
    _, root_secret = await make_api_key(reader, scopes=(Scope.VERIFY,))
    _, secret = await make_api_key(customer)

    response = await verify(client, root_secret, key=secret)

    assert response.status_code == 403


async def test_verify_only_key_can_do_nothing_else(gql: GraphQLClient, root: Root) -> None:
    me = await gql.execute(ME_ID, token=root.secret)
    create = await gql.execute(
        'mutation { createApiKey(input: {name: "x", scopes: [VERIFY]}) { secret } }',
        token=root.secret,
    )

    assert me.codes == ["FORBIDDEN"]
    assert me.errors[0]["extensions"]["requiredScope"] == "READ"
    assert create.codes == ["FORBIDDEN"]


async def test_creating_a_verify_key_needs_verify_on_the_calling_key(gql: GraphQLClient) -> None:
    admin = await make_user(roles=(Role.ADMIN,))
    _, writer = await make_api_key(admin, scopes=(Scope.WRITE,))
    _, both = await make_api_key(admin, scopes=(Scope.WRITE, Scope.VERIFY))
    document = 'mutation { createApiKey(input: {name: "root", scopes: [VERIFY]}) { secret } }'

    refused = await gql.execute(document, token=writer)
    allowed = await gql.execute(document, token=both)

    assert refused.errors[0]["extensions"]["reason"] == "KEY_SCOPE_EXCEEDED"
    assert allowed.ok


async def test_read_only_user_cannot_create_a_verify_key(gql: GraphQLClient) -> None:
    _, token = await gql.user_with_token(Role.READ_ONLY)

    result = await gql.execute(
        'mutation { createApiKey(input: {name: "root", scopes: [VERIFY]}) { secret } }',
        token=token,
    )

    assert result.codes == ["FORBIDDEN"]


@pytest.mark.parametrize("role", [Role.SUPER_ADMIN, Role.ADMIN])
async def test_admin_sessions_verify_over_graphql(
    gql: GraphQLClient, customer: User, role: Role
) -> None:
    key, secret = await make_api_key(customer, permissions=["invoices:read"])
    _, token = await gql.user_with_token(role)

    result = await gql.execute(
        VERIFY_API_KEY,
        {"input": {"key": secret, "permissions": "invoices:read", "operation": "x"}},
        token=token,
    )

    answer = result.data["verifyApiKey"]
    assert (answer["valid"], answer["code"], answer["keyId"]) == (True, "VALID", gid(key))
    assert answer["owner"] == {"type": "USER", "id": gid(customer), "name": customer.display_name}


async def test_read_only_session_may_not_verify(gql: GraphQLClient, customer: User) -> None:
    _, secret = await make_api_key(customer)
    _, token = await gql.user_with_token(Role.READ_ONLY)

    result = await gql.execute(VERIFY_API_KEY, {"input": {"key": secret}}, token=token)

    assert result.codes == ["FORBIDDEN"]


async def test_read_key_may_not_verify_over_graphql(gql: GraphQLClient, customer: User) -> None:
    admin = await make_user(roles=(Role.ADMIN,))
    _, reader = await make_api_key(admin, scopes=(Scope.READ, Scope.WRITE))
    _, secret = await make_api_key(customer)

    result = await gql.execute(VERIFY_API_KEY, {"input": {"key": secret}}, token=reader)

    assert result.codes == ["FORBIDDEN"]
    assert result.errors[0]["extensions"]["requiredScope"] == "VERIFY"


async def test_root_key_verifies_over_graphql(
    gql: GraphQLClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer)

    result = await gql.execute(VERIFY_API_KEY, {"input": {"key": secret}}, token=root.secret)

    assert result.data["verifyApiKey"]["code"] == "VALID"


async def test_openapi_document_describes_every_v1_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/openapi.json")

    document = response.json()
    assert response.status_code == 200
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/v1/keys/verify", "/v1/openapi.json", "/v1/usage.csv"}
    verify_operation = document["paths"]["/v1/keys/verify"]["post"]
    assert set(verify_operation["responses"]) >= {"200", "400", "401", "403"}
    schemas = document["components"]["schemas"]
    assert set(schemas["VerifyKeyInput"]["properties"]) == {
        "key",
        "permissions",
        "cost",
        "operation",
        "clientAddress",
    }
    assert "USAGE_EXCEEDED" in schemas["VerifyKeyResult"]["properties"]["code"]["enum"]


async def test_every_request_of_a_valid_root_key_is_one_of_its_calls(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    admin = await make_user(roles=(Role.ADMIN,))
    reader, reader_secret = await make_api_key(admin, scopes=(Scope.READ,))
    _, secret = await make_api_key(customer)

    await verify(client, root.secret, key=secret)  # VALID
    await verify(client, root.secret, key="gk_" + "C" * 43)  # NOT_FOUND
    await verify(client, root.secret, key=secret, cost=-1)  # 400
    await verify(client, reader_secret, key=secret)  # 403

    assert (await ApiKey.get(id=root.key.id)).total_calls == 3
    assert (await ApiKey.get(id=reader.id)).total_calls == 1
