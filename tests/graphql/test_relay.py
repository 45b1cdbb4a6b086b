"""Relay: global opaque ids on User and ApiKey, `node` and `nodes` with the permissions of
`user` and `apiKey`, and ids that name nothing (malformed, foreign, unknown) answering null
for lookups and NOT_FOUND for mutations — never INTERNAL."""

import base64

import pytest
from httpx import AsyncClient

from models import ApiKey, Role, Scope, User
from tests.support.documents import ME_ID
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login, token_for

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on User { email }
    ... on ApiKey { name }
  }
}
"""
NODES = """
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) { __typename id ... on User { email } ... on ApiKey { name } }
}
"""
USER = "query User($id: ID!) { user(id: $id) { id email } }"
API_KEY = "query ApiKey($id: ID!) { apiKey(id: $id) { id name } }"

NAMELESS_IDS = [
    pytest.param("1", id="raw-number"),
    pytest.param("not base64 at all!", id="garbage"),
    pytest.param(base64.b64encode(b"User:abc").decode(), id="not-a-number"),
    pytest.param(base64.b64encode(b"User:-1").decode(), id="negative"),
    pytest.param(base64.b64encode(b"User:99999999999999999999").decode(), id="too-big"),
    pytest.param(base64.b64encode(b"Invoice:1").decode(), id="unknown-type"),
    pytest.param(base64.b64encode(b"User:987654").decode(), id="no-such-row"),
    pytest.param("", id="empty"),
]


async def test_ids_are_global_and_opaque(client: AsyncClient) -> None:
    user, token = await token_for(client, Role.SUPER_ADMIN)
    api_key, _ = await make_api_key(user)

    me = await graphql(client, ME_ID, token=token)
    key = await graphql(client, API_KEY, {"id": gid(api_key)}, token=token)

    assert me["data"]["me"]["id"] == base64.b64encode(f"User:{user.id}".encode()).decode()
    assert key["data"]["apiKey"]["id"] == base64.b64encode(f"ApiKey:{api_key.id}".encode()).decode()
    assert user.id == api_key.id == 1  # the same number, yet two different ids
    assert me["data"]["me"]["id"] != key["data"]["apiKey"]["id"]


async def test_node_finds_a_user_and_an_api_key(client: AsyncClient) -> None:
    user, token = await token_for(client, Role.ADMIN)
    api_key, _ = await make_api_key(user, name="deploy")

    as_user = await graphql(client, NODE, {"id": gid(user)}, token=token)
    as_key = await graphql(client, NODE, {"id": gid(api_key)}, token=token)

    assert as_user["data"]["node"] == {"__typename": "User", "id": gid(user), "email": user.email}
    assert as_key["data"]["node"] == {"__typename": "ApiKey", "id": gid(api_key), "name": "deploy"}


@pytest.mark.parametrize("global_id", NAMELESS_IDS)
async def test_node_is_null_for_an_id_that_names_nothing(
    client: AsyncClient, global_id: str
) -> None:
    _, token = await token_for(client, Role.SUPER_ADMIN)

    body = await graphql(client, NODE, {"id": global_id}, token=token)

    assert body == {"data": {"node": None}}


@pytest.mark.parametrize(
    ("role", "sees_users"),
    [(Role.SUPER_ADMIN, True), (Role.ADMIN, True), (Role.READ_ONLY, False)],
)
async def test_node_has_the_permissions_of_user_and_api_key(
    client: AsyncClient, role: Role, sees_users: bool
) -> None:
    caller, token = await token_for(client, role)
    api_key, _ = await make_api_key(caller)

    user_node = await graphql(client, NODE, {"id": gid(caller)}, token=token)
    user_field = await graphql(client, USER, {"id": gid(caller)}, token=token)
    key_node = await graphql(client, NODE, {"id": gid(api_key)}, token=token)

    assert key_node["data"]["node"]["id"] == gid(api_key)
    if sees_users:
        assert user_node["data"]["node"]["id"] == gid(caller)
    else:
        assert error_codes(user_node) == error_codes(user_field) == ["FORBIDDEN"]
        assert user_node["data"] == {"node": None}


async def test_node_needs_a_credential_and_the_read_scope(client: AsyncClient) -> None:
    owner = await make_user(roles=(Role.SUPER_ADMIN,))
    _, write_only = await make_api_key(owner, scopes=(Scope.WRITE,))
    _, reader = await make_api_key(owner, scopes=(Scope.READ,))

    anonymous = await graphql(client, NODE, {"id": gid(owner)})
    without_read = await graphql(
        client, NODE, {"id": gid(owner)}, headers={"X-API-Key": write_only}
    )
    with_read = await graphql(client, NODE, {"id": gid(owner)}, headers={"X-API-Key": reader})

    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert error_codes(without_read) == ["FORBIDDEN"]
    assert with_read["data"]["node"]["email"] == owner.email


async def test_nodes_answers_each_id_in_order(client: AsyncClient) -> None:
    user, token = await token_for(client, Role.ADMIN)
    api_key, _ = await make_api_key(user, name="ci")

    body = await graphql(
        client, NODES, {"ids": [gid(api_key), "garbage", gid(user), gid(api_key)]}, token=token
    )

    assert "errors" not in body
    assert body["data"]["nodes"] == [
        {"__typename": "ApiKey", "id": gid(api_key), "name": "ci"},
        None,
        {"__typename": "User", "id": gid(user), "email": user.email},
        {"__typename": "ApiKey", "id": gid(api_key), "name": "ci"},
    ]


async def test_nodes_refuses_only_the_users_a_read_only_caller_may_not_see(
    client: AsyncClient,
) -> None:
    caller, token = await token_for(client, Role.READ_ONLY)
    api_key, _ = await make_api_key(caller, name="ci")

    body = await graphql(client, NODES, {"ids": [gid(caller), gid(api_key)]}, token=token)

    assert body["data"]["nodes"] == [
        None,
        {"__typename": "ApiKey", "id": gid(api_key), "name": "ci"},
    ]
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["nodes", 0]


async def test_nodes_takes_at_most_100_ids(client: AsyncClient) -> None:
    _, token = await token_for(client, Role.SUPER_ADMIN)

    body = await graphql(client, NODES, {"ids": ["x"] * 101}, token=token)

    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_a_lookup_by_an_id_of_another_type_is_null(client: AsyncClient) -> None:
    user, token = await token_for(client, Role.SUPER_ADMIN)
    api_key, _ = await make_api_key(user)

    as_user = await graphql(client, USER, {"id": gid(api_key)}, token=token)
    as_key = await graphql(client, API_KEY, {"id": gid(user)}, token=token)

    assert as_user == {"data": {"user": None}}
    assert as_key == {"data": {"apiKey": None}}


@pytest.mark.parametrize("global_id", NAMELESS_IDS)
async def test_lookups_are_null_for_an_id_that_names_nothing(
    client: AsyncClient, global_id: str
) -> None:
    _, token = await token_for(client, Role.SUPER_ADMIN)

    assert await graphql(client, USER, {"id": global_id}, token=token) == {"data": {"user": None}}
    assert await graphql(client, API_KEY, {"id": global_id}, token=token) == {
        "data": {"apiKey": None}
    }


MUTATIONS = {
    "updateUser": 'mutation ($id: ID!) { updateUser(id: $id, input: {displayName: "X"}) { id } }',
    "resetPassword": (
        'mutation ($id: ID!) { resetPassword(userId: $id, newPassword: "a long new password") '
        "{ id } }"
    ),
    "deleteUser": "mutation ($id: ID!) { deleteUser(id: $id) }",
    "revokeKey": "mutation ($id: ID!) { revokeKey(id: $id) { id } }",
    "deleteApiKey": "mutation ($id: ID!) { deleteApiKey(id: $id) }",
}
TAKES_A_USER = {"updateUser", "resetPassword", "deleteUser"}


@pytest.mark.parametrize("operation", list(MUTATIONS))
@pytest.mark.parametrize("kind", ["foreign", "malformed", "raw-number", "no-such-row"])
async def test_a_mutation_on_an_id_that_names_nothing_is_not_found(
    client: AsyncClient, operation: str, kind: str
) -> None:
    caller, token = await token_for(client, Role.SUPER_ADMIN)
    other = await make_user(roles=(Role.READ_ONLY,))
    api_key, _ = await make_api_key(other)
    right, wrong = (other, api_key) if operation in TAKES_A_USER else (api_key, other)
    global_id = {
        "foreign": gid(wrong),
        "malformed": "%%%",
        "raw-number": str(right.id),
        "no-such-row": base64.b64encode(f"{type(right).__name__}:4242".encode()).decode(),
    }[kind]

    body = await graphql(client, MUTATIONS[operation], {"id": global_id}, token=token)

    assert error_codes(body) == ["NOT_FOUND"]
    assert await User.exists(id=other.id)
    stored = await ApiKey.get(id=api_key.id)
    assert stored.revoked_at is None
    assert (await User.get(id=other.id)).display_name == other.display_name
    assert caller.id != other.id


async def test_delete_mutations_answer_the_global_id(client: AsyncClient) -> None:
    _, token = await token_for(client, Role.SUPER_ADMIN)
    other = await make_user(roles=(Role.READ_ONLY,))
    api_key, _ = await make_api_key(other)

    deleted_key = await graphql(
        client, MUTATIONS["deleteApiKey"], {"id": gid(api_key)}, token=token
    )
    deleted_user = await graphql(client, MUTATIONS["deleteUser"], {"id": gid(other)}, token=token)

    assert deleted_key == {"data": {"deleteApiKey": gid(api_key)}}
    assert deleted_user == {"data": {"deleteUser": gid(other)}}


async def test_login_answers_the_global_id_of_the_user(client: AsyncClient) -> None:
    user = await make_user()

    token = await login(client, user)
    me = await graphql(client, ME_ID, token=token)

    assert me["data"]["me"]["id"] == gid(user)
