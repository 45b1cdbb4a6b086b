"""What a list page answers, however the document asks for it: `totalCount` named directly,
through a fragment or an inline fragment, or not at all (then nothing is counted); every
node's global id; keys of one creator each answering that creator."""

from __future__ import annotations

import pytest

from models import ApiKey, Role, User
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient
from tests.support.statements import counting_queries

TOTALS = {
    "direct": "{ apiKeys(first: 1) { totalCount nodes { name } } }",
    "aliased": "{ apiKeys(first: 1) { all: totalCount nodes { name } } }",
    "fragment": "query { apiKeys(first: 1) { ...Counted } } "
    "fragment Counted on ApiKeyConnection { totalCount nodes { name } }",
    "inline fragment": "{ apiKeys(first: 1) { ... on ApiKeyConnection { totalCount } } }",
    "nested fragments": "query { apiKeys(first: 1) { ...Outer } } "
    "fragment Outer on ApiKeyConnection { ... on ApiKeyConnection { ...Inner } } "
    "fragment Inner on ApiKeyConnection { totalCount }",
}


@pytest.mark.parametrize("document", TOTALS.values(), ids=TOTALS.keys())
async def test_total_count_is_counted_however_it_is_selected(
    gql: GraphQLClient, document: str
) -> None:
    admin, token = await gql.user_with_token(Role.ADMIN)
    for number in range(3):
        await make_api_key(admin, name=f"key {number}")

    with counting_queries() as statements:
        result = await gql.execute(document, token=token)

    assert result.ok, result.body
    assert next(iter(result.data["apiKeys"].values())) == 3
    # Counted within the page's own statement: no separate COUNT.
    assert not [sql for sql in statements if sql.startswith("SELECT COUNT")]


async def test_a_page_without_total_count_counts_nothing(gql: GraphQLClient) -> None:
    admin, token = await gql.user_with_token(Role.ADMIN)
    await make_api_key(admin)

    with counting_queries() as statements:
        result = await gql.execute("{ apiKeys { nodes { name } } }", token=token)

    assert result.ok, result.body
    assert "COUNT(" not in " ".join(statements)


async def test_nodes_answer_their_global_ids(gql: GraphQLClient) -> None:
    admin, token = await gql.user_with_token(Role.SUPER_ADMIN)
    api_key, _ = await make_api_key(admin)

    result = await gql.execute(
        "{ apiKeys { nodes { id createdBy { id } } } users { nodes { id } } }", token=token
    )

    assert result.ok, result.body
    assert result.data["apiKeys"]["nodes"] == [
        {"id": gid(api_key), "createdBy": {"id": gid(admin)}}
    ]
    users = await User.all().order_by("id")
    assert result.data["users"]["nodes"] == [{"id": gid(user)} for user in users]


async def test_keys_of_one_creator_each_answer_that_creator(gql: GraphQLClient) -> None:
    admin, token = await gql.user_with_token(Role.ADMIN)
    other = await make_user(roles=(Role.READ_ONLY,), email="other@example.com")
    for owner in (admin, other, admin, admin):
        await make_api_key(owner)
    await make_api_key(other, name="orphan")
    await other.delete()

    result = await gql.execute(
        "{ apiKeys { nodes { name createdBy { email roles } } } }", token=token
    )

    assert result.ok, result.body
    expected = [
        None if key.created_by_id is None else {"email": admin.email, "roles": ["ADMIN"]}
        for key in await ApiKey.all().order_by("-id")
    ]
    assert [node["createdBy"] for node in result.data["apiKeys"]["nodes"]] == expected
    assert expected.count(None) == 2
