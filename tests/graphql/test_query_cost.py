"""The query cost as a client meets it: lists count by their length whether the ids come
inline or as variables, page sizes from variables count at their value, `__typename` costs
nothing, and a document cached by its text is costed again for each request's variables."""

from typing import Any

import pytest
from graphql import GraphQLError, build_schema, parse
from httpx import AsyncClient

from models import ApiKey, User
from schema import build_schema as build_gatehouse_schema
from schema.documents import COST_RESULTS_PER_OPERATION
from schema.limits import QueryLimits, check_limits
from tests.support.factories import gid, make_api_key
from tests.support.graphql import error_codes, login

GATEHOUSE = build_gatehouse_schema()._schema
LIMIT = 25_000
ONE_KEY_PAGE_ITEM = 1 + 90 * 2  # `... on ApiKey { usage(days: 90) { date calls } }`
# 30 aliases of `nodes` with 100 ids each, 90 days of usage per id: what stalled the server.
AMPLIFICATION_COST = 30 * (1 + 100 * ONE_KEY_PAGE_ITEM)


def amplification(ids: str, aliases: int = 30) -> str:
    fields = " ".join(
        f"a{i}: nodes(ids: {ids}) {{ ... on ApiKey {{ usage(days: 90) {{ date calls }} }} }}"
        for i in range(aliases)
    )
    variables = "($ids: [ID!]!)" if "$ids" in ids else "($id: ID!)" if "$id" in ids else ""
    return f"query Amplify{variables} {{ {fields} }}"


APOLLO_DASHBOARD = """
query Dashboard($first: Int, $days: Int!, $usersFirst: Int) {
  me { id email displayName roles __typename }
  keyMetrics { totalKeys activeKeys expiredKeys revokedKeys apiCallsToday __typename }
  apiKeys(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor __typename }
    edges {
      cursor
      node {
        id name description maskedKey scopes lastUsedAt expiresAt status createdAt
        revokedAt totalCalls
        createdBy { id email displayName __typename }
        usage(days: $days) { date calls __typename }
        __typename
      }
      __typename
    }
    __typename
  }
  users(first: $usersFirst) {
    totalCount
    pageInfo { hasNextPage endCursor __typename }
    nodes { id email displayName roles status lastLoginAt createdAt __typename }
    __typename
  }
}
"""

TYPENAME_PAGE = """
query { apiKeys(first: 100) {
  __typename nodes { __typename usage(days: 90) { __typename date calls } }
} }
"""

PAGES_FROM_VARIABLES = """
query Pages($first: Int, $days: Int!) {
  a: apiKeys(first: $first) { nodes { usage(days: $days) { date calls } } }
  b: apiKeys(first: $first) { nodes { usage(days: $days) { date calls } } }
}
"""


async def post(
    client: AsyncClient, query: str, token: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refused_by_cost(body: dict[str, Any]) -> dict[str, Any]:
    assert "data" not in body or body["data"] is None, body
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["limit"] == LIMIT
    assert str(error["extensions"]["cost"]) in error["message"]
    assert str(LIMIT) in error["message"]
    return error


def cost_of(query: str, variables: dict[str, Any] | None = None, schema: Any = GATEHOUSE) -> int:
    error = check_limits(schema, parse(query), QueryLimits(max_cost=0), None, variables)
    assert isinstance(error, GraphQLError)
    assert error.extensions is not None
    cost: int = error.extensions["cost"]
    return cost


@pytest.fixture
async def key_id(super_admin: User) -> str:
    api_key, _ = await make_api_key(super_admin)
    return gid(api_key)


# --- lists count by their length ---------------------------------------------------------


async def test_nodes_amplification_with_inline_ids_is_refused_by_its_cost(
    client: AsyncClient, reader: str, key_id: str
) -> None:
    ids = "[" + ", ".join([f'"{key_id}"'] * 100) + "]"

    error = refused_by_cost(await post(client, amplification(ids), reader))

    assert error["extensions"]["cost"] == AMPLIFICATION_COST


async def test_nodes_amplification_with_ids_from_a_variable_is_refused_by_its_cost(
    client: AsyncClient, reader: str, key_id: str
) -> None:
    body = await post(client, amplification("$ids"), reader, {"ids": [key_id] * 100})

    assert refused_by_cost(body)["extensions"]["cost"] == AMPLIFICATION_COST


async def test_nodes_amplification_repeating_one_variable_inline_is_refused_by_its_cost(
    client: AsyncClient, reader: str, key_id: str
) -> None:
    ids = "[" + ", ".join(["$id"] * 100) + "]"

    # Ten aliases: a `$id` is two tokens, and thirty would be refused by the token limit.
    body = await post(client, amplification(ids, aliases=10), reader, {"id": key_id})

    assert refused_by_cost(body)["extensions"]["cost"] == AMPLIFICATION_COST // 3


async def test_nodes_amplification_is_refused_for_an_api_key_too(
    client: AsyncClient, super_admin: User, key_id: str
) -> None:
    _, secret = await make_api_key(super_admin)

    body = await post(client, amplification("$ids"), secret, {"ids": [key_id] * 100})

    refused_by_cost(body)


async def test_a_cached_amplification_is_refused_again_with_longer_ids(
    client: AsyncClient, reader: str, key_id: str
) -> None:
    few = await post(client, amplification("$ids"), reader, {"ids": [key_id] * 2})
    many = await post(client, amplification("$ids"), reader, {"ids": [key_id] * 100})

    assert "errors" not in few, few
    assert len(few["data"]["a0"]) == 2
    refused_by_cost(many)


async def test_nodes_with_a_few_ids_still_answers(
    client: AsyncClient, admin: str, super_admin: User
) -> None:
    keys = [await make_api_key(super_admin, name=f"k{number}") for number in range(3)]
    ids = [gid(api_key) for api_key, _ in keys]

    body = await post(
        client,
        "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on ApiKey { name } } }",
        admin,
        {"ids": ids},
    )

    assert "errors" not in body, body
    assert [node["name"] for node in body["data"]["nodes"]] == ["k0", "k1", "k2"]


def test_every_list_argument_multiplies_its_fields_cost_by_its_length() -> None:
    schema = build_schema(
        """
        type Query { count(tags: [String!]): Int  thing(ids: [ID!], more: [ID!]): Thing }
        type Thing { a: Int  b: Int }
        """
    )

    assert cost_of('{ count(tags: ["x", "y", "x"]) }', schema=schema) == 3
    assert cost_of("query ($t: [String!]) { count(tags: $t) }", {"t": ["x"] * 7}, schema) == 7
    assert cost_of('{ thing(ids: ["1", "2"]) { a b } }', schema=schema) == 2 * 3
    assert cost_of('{ thing(ids: ["1", "2"], more: ["3", "4", "5"]) { a } }', schema=schema) == 12


def test_a_list_variable_the_request_leaves_out_counts_as_the_largest_list() -> None:
    query = "query ($ids: [ID!]!) { nodes(ids: $ids) { ... on ApiKey { name } } }"

    assert cost_of(query) == 1 + 100 * 1
    assert cost_of(query, {"ids": ["a", "b"]}) == 1 + 2 * 1


# --- page sizes from variables count at their value ------------------------------------


async def test_an_apollo_style_dashboard_with_variables_and_typename_is_admitted(
    client: AsyncClient, admin: str, super_admin: User
) -> None:
    for number in range(4):
        await make_api_key(super_admin, name=f"k{number}")

    body = await post(client, APOLLO_DASHBOARD, admin, {"first": 3, "days": 3, "usersFirst": 3})

    assert "errors" not in body, body
    edges = body["data"]["apiKeys"]["edges"]
    assert len(edges) == 3
    assert all(len(edge["node"]["usage"]) == 3 for edge in edges)
    assert body["data"]["apiKeys"]["__typename"] == "ApiKeyConnection"


async def test_the_apollo_dashboard_at_its_largest_pages_is_admitted(
    client: AsyncClient, admin: str
) -> None:
    body = await post(
        client, APOLLO_DASHBOARD, admin, {"first": 100, "days": 90, "usersFirst": 100}
    )

    assert "errors" not in body, body


async def test_the_documented_100_key_90_day_page_with_typename_is_admitted(
    client: AsyncClient, admin: str
) -> None:
    body = await post(client, TYPENAME_PAGE, admin)

    assert "errors" not in body, body
    assert cost_of(TYPENAME_PAGE) == 18_102


async def test_a_cached_document_is_costed_again_for_each_requests_variables(
    client: AsyncClient, admin: str
) -> None:
    small = await post(client, PAGES_FROM_VARIABLES, admin, {"first": 3, "days": 3})
    large = await post(client, PAGES_FROM_VARIABLES, admin, {"first": 100, "days": 90})
    small_again = await post(client, PAGES_FROM_VARIABLES, admin, {"first": 3, "days": 3})

    assert "errors" not in small, small
    assert refused_by_cost(large)["extensions"]["cost"] == 2 * (1 + 1 + 100 * (1 + 90 * 2))
    assert "errors" not in small_again, small_again


def test_a_page_variable_counts_at_its_value_default_or_largest() -> None:
    query = "query ($first: Int) { apiKeys(first: $first) { nodes { id } } }"
    with_default = "query ($first: Int = 50) { apiKeys(first: $first) { nodes { id } } }"

    assert cost_of(query, {"first": 7}) == 1 + 1 + 7
    assert cost_of(query, {}) == 1 + 1 + 20  # left out: the argument's default
    assert cost_of(with_default, {}) == 1 + 1 + 50
    assert cost_of(with_default, {"first": 5}) == 1 + 1 + 5
    assert cost_of(query, {"first": None}) == 1 + 1 + 100
    assert cost_of(query, {"first": "many"}) == 1 + 1 + 100
    assert cost_of(query, {"first": 10**9}) == 1 + 1 + 100


def test_typename_costs_nothing_but_a_fragment_spread_counts() -> None:
    assert cost_of("{ __typename me { __typename id } }") == 2
    assert cost_of("{ ...F } fragment F on Query { __typename }") == 1


def test_without_a_chosen_operation_every_variable_counts_as_the_largest_page() -> None:
    two_operations = """
    query A($first: Int) { apiKeys(first: $first) { nodes { id } } }
    query B { me { id } }
    """

    assert cost_of(two_operations, {"first": 1}) == 1 + 1 + 100


# --- the document cache stays small ----------------------------------------------------


async def test_cost_results_are_kept_per_distinct_value_and_bounded(
    served: Any,
    super_admin: User,
) -> None:
    client, graphql_app = served
    token = await login(client, super_admin)
    cache = graphql_app.schema.document_cache
    for first in [1, 1, 2, 2, *range(3, 40)]:
        body = await post(client, PAGES_FROM_VARIABLES, token, {"first": first, "days": 1})
        assert "errors" not in body, body

    entry = cache.get(PAGES_FROM_VARIABLES)
    assert entry is not None
    (results,) = entry.costs.values()
    assert results.variables_used == ("days", "first")
    assert len(results.by_values) == COST_RESULTS_PER_OPERATION


async def test_a_key_call_counts_one_item_for_each_id(super_admin: User) -> None:
    api_key, _ = await make_api_key(super_admin)
    ids = ", ".join([f'"{gid(api_key)}"'] * 3)

    assert cost_of(f"{{ nodes(ids: [{ids}]) {{ id }} }}") == 1 + 3
    assert await ApiKey.filter(id=api_key.id).exists()


async def test_operation_names_that_match_nothing_do_not_grow_the_cache(
    served: Any,
    super_admin: User,
) -> None:
    client, graphql_app = served
    token = await login(client, super_admin)
    query = "query Me { me { id } }"
    for number in range(20):
        response = await client.post(
            "/graphql",
            json={"query": query, "operationName": f"Other{number}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert error_codes(response.json()) == ["BAD_USER_INPUT"], response.text
    assert "errors" not in await post(client, query, token)

    entry = graphql_app.schema.document_cache.get(query)
    assert entry is not None
    assert len(entry.costs) <= 2  # at most: the operation `Me`, and "none of them"
