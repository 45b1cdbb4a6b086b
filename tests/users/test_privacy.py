"""`ApiKey.createdBy` is a user: it needs the permission of `users`, and a caller without it
gets FORBIDDEN on that field alone while the rest of the answer stays."""

from __future__ import annotations

import pytest

from models import Role, Scope, User
from schema import print_schema
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient

SA, ADMIN, RO = Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY
READ, WRITE = Scope.READ, Scope.WRITE

API_KEYS = """
query {
  apiKeys(first: 10) {
    totalCount
    nodes { name status createdBy { id email roles lastLoginAt } }
  }
}
"""
API_KEY = "query ($id: ID!) { apiKey(id: $id) { id name createdBy { email } } }"
CREATE_API_KEY = """
mutation { createApiKey(input: { name: "made", scopes: [WRITE] }) {
  secret apiKey { name createdBy { email } }
} }
"""


@pytest.mark.parametrize(("role", "allowed"), [(SA, True), (ADMIN, True), (RO, False)])
async def test_created_by_follows_the_users_permission_for_sessions(
    gql: GraphQLClient, super_admin: User, role: Role, allowed: bool
) -> None:
    await make_api_key(super_admin, name="first")
    await make_api_key(super_admin, name="second")
    token = await gql.login(await make_user(roles=(role,)))

    result = await gql.execute(API_KEYS, token=token)

    keys = result.data["apiKeys"]
    assert keys["totalCount"] == 2
    assert [node["name"] for node in keys["nodes"]] == ["second", "first"]
    creators = [node["createdBy"] for node in keys["nodes"]]
    if allowed:
        assert result.ok, result.body
        assert [creator["email"] for creator in creators] == [super_admin.email] * 2
    else:
        assert creators == [None, None]
        assert result.codes == ["FORBIDDEN", "FORBIDDEN"]
        assert [error["path"][-1] for error in result.errors] == ["createdBy", "createdBy"]
        assert super_admin.email not in str(result.body)


@pytest.mark.parametrize(
    ("owner_role", "scopes", "allowed"),
    [
        pytest.param(SA, (READ,), True, id="SUPER_ADMIN-READ"),
        pytest.param(ADMIN, (READ,), True, id="ADMIN-READ"),
        pytest.param(RO, (READ,), False, id="READ_ONLY-READ"),
    ],
)
async def test_created_by_follows_the_users_permission_for_keys(
    gql: GraphQLClient,
    super_admin: User,
    owner_role: Role,
    scopes: tuple[Scope, ...],
    allowed: bool,
) -> None:
    target, _ = await make_api_key(super_admin, name="target")
    owner = await make_user(roles=(owner_role,))
    _, secret = await make_api_key(owner, scopes=scopes)

    result = await gql.execute(API_KEY, {"id": gid(target)}, headers={"X-API-Key": secret})

    assert result.data["apiKey"]["name"] == "target"
    if allowed:
        assert result.data["apiKey"]["createdBy"] == {"email": super_admin.email}
    else:
        assert result.data["apiKey"]["createdBy"] is None
        assert result.codes == ["FORBIDDEN"]


async def test_a_key_without_read_scope_still_gets_its_new_key_but_not_the_creator(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, secret = await make_api_key(super_admin, scopes=(WRITE,))

    result = await gql.execute(CREATE_API_KEY, headers={"X-API-Key": secret})

    created = result.data["createApiKey"]
    assert created["secret"].startswith("gk_")
    assert created["apiKey"] == {"name": "made", "createdBy": None}
    assert result.codes == ["FORBIDDEN"]


def test_the_sdl_shows_the_permission_of_created_by() -> None:
    assert (
        "createdBy: User @isAuthenticated @requires(roles: [SUPER_ADMIN, ADMIN], scope: READ)"
        in print_schema()
    )
