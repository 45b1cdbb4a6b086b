"""Query limits: one linear pass over the document refuses fan-out, chains, deep nesting and
amplification with BAD_USER_INPUT before anything runs, and admits the portal's pages.

The regression documents are the ones that stalled the server: each answers with a code
here, and stays fast by construction (the pass visits each fragment once)."""

import logging
from dataclasses import replace
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, parse
from httpx import AsyncClient

from core.config import ConfigError, Settings
from gatehouse.app import GatehouseGraphQL, create_app
from models import Session, User
from schema import build_schema
from schema.errors import log_unexpected
from schema.limits import QueryLimits, check_limits
from tests.support.database import SETTINGS
from tests.support.factories import PASSWORD
from tests.support.graphql import error_codes, graphql, login

AMPLIFICATION = (
    "query {"
    + " ".join(
        f"a{i}: apiKeys(first: 100) {{ nodes {{ usage(days: 90) {{ date calls }} }} }}"
        for i in range(30)
    )
    + "}"
)

PORTAL_OPERATIONS = [
    "query { me { id email roles } users(first: 10) "
    "{ totalCount nodes { email roles status lastLoginAt } } }",
    "query { keyMetrics { activeKeys apiCallsToday } }",
    "query { apiKeys(first: 100) { nodes { usage(days: 90) { date calls } } } }",
    """query Dashboard($first: Int, $days: Int) {
      me { id email displayName roles }
      keyMetrics { totalKeys activeKeys expiredKeys revokedKeys apiCallsToday }
      apiKeys(first: $first) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node {
          id name description maskedKey scopes lastUsedAt expiresAt status createdAt
          revokedAt totalCalls createdBy { id email displayName } usage(days: $days) { date calls }
        } }
      }
      users(first: 100) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { id email displayName roles status lastLoginAt createdAt }
      }
    }""",
]


def fan_out(levels: int) -> str:
    """Each fragment spreads the next one twice: 2**levels spreads from a 1 KB document."""
    fragments = " ".join(
        f"fragment F{i} on Query {{ __typename ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ __typename }}"


def chain(length: int) -> str:
    fragments = " ".join(
        f"fragment F{i} on Query {{ __typename ...F{i + 1} }}" for i in range(length)
    )
    return f"query {{ ...F0 }} {fragments} fragment F{length} on Query {{ __typename }}"


async def post(client: AsyncClient, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    return body


def refused(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    error: dict[str, Any] = body["errors"][0]
    return error


def serving(settings: Settings) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize("levels", [20, 30, 40])
async def test_fragment_fan_out_is_refused_by_its_cost(
    client: AsyncClient, reader: str, levels: int
) -> None:
    error = refused(await post(client, fan_out(levels), reader))

    assert error["extensions"]["cost"] > error["extensions"]["limit"] == 25_000
    assert "cost" in error["message"]


async def test_fragment_fan_out_is_refused_for_anonymous_callers_too(client: AsyncClient) -> None:
    refused(await post(client, fan_out(40)))


async def test_anonymous_callers_have_lower_fragment_and_spread_limits(
    client: AsyncClient, admin: str
) -> None:
    eleven_fragments = chain(10)
    many_spreads = "query { " + "...A " * 31 + "} fragment A on Query { __typename }"

    assert refused(await post(client, eleven_fragments))["extensions"]["limit"] == 10
    assert refused(await post(client, many_spreads))["extensions"]["limit"] == 30
    assert "errors" not in await post(client, eleven_fragments, admin)
    assert "errors" not in await post(client, many_spreads, admin)


async def test_a_chain_of_300_fragments_is_refused_by_the_fragment_limit(
    client: AsyncClient, reader: str
) -> None:
    error = refused(await post(client, chain(300), reader))

    assert error["extensions"]["limit"] == 100
    assert "300" not in error["message"] or "fragments" in error["message"]


async def test_a_chain_within_a_raised_fragment_limit_runs_without_recursion_error(
    super_admin: User,
) -> None:
    settings = replace(SETTINGS, max_query_fragments=150, max_query_spreads=1000)
    async with serving(settings) as raised:
        body = await post(raised, chain(149), await login(raised, super_admin))

    assert "errors" not in body, body
    assert body["data"] == {"__typename": "Query"}


async def test_alias_amplification_is_refused_naming_its_cost_and_the_limit(
    client: AsyncClient, reader: str
) -> None:
    error = refused(await post(client, AMPLIFICATION, reader))

    assert error["extensions"]["cost"] == 30 * (1 + 1 + 100 * (1 + 90 * 2))
    assert error["extensions"]["limit"] == 25_000
    assert str(error["extensions"]["cost"]) in error["message"]
    assert "25000" in error["message"]


@pytest.mark.parametrize("operation", PORTAL_OPERATIONS)
async def test_every_portal_operation_is_admitted(
    client: AsyncClient, admin: str, operation: str
) -> None:
    body = await post(client, operation, admin)

    assert "errors" not in body, body


async def test_standard_introspection_is_admitted_in_development(client: AsyncClient) -> None:
    from graphql import get_introspection_query

    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
        one_of=True,
    )
    body = await post(client, query)

    assert "errors" not in body, body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_nesting_four_lists_is_refused(client: AsyncClient) -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"

    refused(await post(client, query))


@pytest.mark.parametrize("levels", [16, 300, 3000])
async def test_deeply_nested_selections_are_refused(client: AsyncClient, levels: int) -> None:
    query = "{" + "me {" * levels + "id" + "}" * (levels + 1)

    refused(await post(client, query))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("[" * 500 + "]" * 500, id="lists"),
        pytest.param("{a: " * 300 + "1" + "}" * 300, id="input-objects"),
        pytest.param("[" * 9 + "]" * 9, id="lists-just-over-the-limit"),
    ],
)
async def test_deeply_nested_values_are_refused(
    client: AsyncClient, admin: str, value: str
) -> None:
    refused(await post(client, f"{{ users(filter: {{role: {value}}}) {{ totalCount }} }}", admin))


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{" + "me {" * 1900 + "id" + "}" * 1901, id="selections"),
        pytest.param(
            "{ users(filter: {role: " + "[" * 1900 + "]" * 1900 + "}) { totalCount } }", id="lists"
        ),
    ],
)
async def test_nesting_beyond_the_parsers_reach_within_the_token_limit_is_refused(
    client: AsyncClient, admin: str, query: str
) -> None:
    # Under 4000 tokens, so the parser itself meets the recursion limit: graphql-core turns
    # that into a syntax error, which answers with its code like any other.
    error = refused(await post(client, query, admin))

    assert "tokens" not in error["message"]


async def test_deeply_nested_inline_fragments_are_refused(client: AsyncClient) -> None:
    query = "{" + "... on Query {" * 400 + "__typename" + "}" * 401

    refused(await post(client, query))


async def test_a_document_over_the_token_limit_is_refused(client: AsyncClient, admin: str) -> None:
    query = "{" + " ".join(f"a{i}: __typename" for i in range(1500)) + "}"

    error = refused(await post(client, query, admin))

    assert "tokens" in error["message"]


async def test_anonymous_documents_have_a_lower_token_limit(
    client: AsyncClient, admin: str
) -> None:
    query = "{ __typename }" + "\n# a comment counts as a token" * 1200

    refused(await post(client, query))
    assert "errors" not in await post(client, query, admin)


async def test_a_fragment_cycle_is_refused(client: AsyncClient) -> None:
    query = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"

    refused(await post(client, query))


async def test_depth_limit_is_a_setting(db: None, super_admin: User) -> None:
    async with serving(replace(SETTINGS, max_query_depth=2)) as shallow:
        token = await login(shallow, super_admin)
        deep = await post(shallow, "{ apiKeys { nodes { createdBy { id } } } }", token)
        shallow_enough = await post(shallow, "{ apiKeys { nodes { id } } }", token)

    assert refused(deep)["extensions"]["limit"] == 2
    assert "errors" not in shallow_enough


async def test_alias_limit_counts_aliases_through_fragments(
    client: AsyncClient, admin: str
) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(16))
    twice = (
        f"query {{ ...A ...B }} fragment A on Query {{ {aliases} }} fragment B on Query {{ ...A }}"
    )
    once = f"query {{ ...A }} fragment A on Query {{ {aliases} }}"

    error = refused(await post(client, twice, admin))

    assert error["extensions"] == {"code": "BAD_USER_INPUT", "aliases": 32, "limit": 30}
    assert "errors" not in await post(client, once, admin)


async def test_spread_and_fragment_limits_are_settings(db: None) -> None:
    settings = replace(SETTINGS, max_query_fragments=2, max_query_spreads=3)
    async with serving(settings) as strict:
        three_fragments = await post(strict, chain(2))
        four_spreads = await post(
            strict, "query { ...A ...A ...A ...A } fragment A on Query { __typename }"
        )

    assert refused(three_fragments)["extensions"]["limit"] == 2
    assert refused(four_spreads)["extensions"]["limit"] == 3


# --- one password check per request ----------------------------------------------------

TWO_LOGINS = """
mutation ($email: String!, $password: String!) {
  a: login(email: $email, password: $password) { token }
  b: login(email: $email, password: $password) { token }
}
"""

LOGINS_THROUGH_FRAGMENTS = """
mutation ($email: String!, $password: String!) { ...One ... on Mutation { ...Two } }
fragment One on Mutation { a: login(email: $email, password: $password) { token } }
fragment Two on Mutation { b: login(email: $email, password: $password) { token } }
"""

LOGIN_AND_CHANGE_PASSWORD = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
  changePassword(currentPassword: $password, newPassword: "another long password")
}
"""


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(TWO_LOGINS, id="aliases"),
        pytest.param(LOGINS_THROUGH_FRAGMENTS, id="fragments"),
        pytest.param(LOGIN_AND_CHANGE_PASSWORD, id="login-and-changePassword"),
    ],
)
async def test_a_second_password_check_in_one_document_is_refused_before_any_runs(
    client: AsyncClient, super_admin: User, document: str
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": document, "variables": {"email": super_admin.email, "password": PASSWORD}},
    )

    refused(response.json())
    assert await Session.all().count() == 0
    assert (await User.get(id=super_admin.id)).last_login_at is None


async def test_the_same_login_spread_twice_is_one_password_check(
    client: AsyncClient, super_admin: User
) -> None:
    document = """
    mutation ($email: String!, $password: String!) { ...L ...L }
    fragment L on Mutation { login(email: $email, password: $password) { token } }
    """
    body = await graphql(client, document, {"email": super_admin.email, "password": PASSWORD})

    assert "errors" not in body, body
    assert await Session.all().count() == 1


# --- caches bounded in bytes ------------------------------------------------------------


async def test_large_documents_are_not_cached(
    served: tuple[AsyncClient, GatehouseGraphQL],
) -> None:
    client, graphql_app = served
    cache = graphql_app.schema.document_cache  # type: ignore[attr-defined]
    for number in range(8):
        # About 40 KB each, all distinct; anonymous, so refused by the token limit or not.
        query = f"query Q{number} {{ __typename }}" + " " * 40_000
        assert "errors" not in await post(client, query)

    assert len(cache) == 0
    assert cache.size == 0


async def test_the_document_cache_is_bounded_in_bytes(
    served: tuple[AsyncClient, GatehouseGraphQL],
) -> None:
    client, graphql_app = served
    cache = graphql_app.schema.document_cache  # type: ignore[attr-defined]
    padding = " " * 12_000
    for number in range(40):
        assert "errors" not in await post(client, f"query Q{number} {{ __typename }}{padding}")

    assert 0 < cache.size <= cache.max_bytes
    assert len(cache) < 40


async def test_a_repeated_document_is_parsed_once(
    served: tuple[AsyncClient, GatehouseGraphQL],
) -> None:
    client, graphql_app = served
    cache = graphql_app.schema.document_cache  # type: ignore[attr-defined]
    query = "query Again { __typename }"
    for _ in range(3):
        assert "errors" not in await post(client, query)

    entry = cache.get(query)
    assert len(cache) == 1
    assert entry is not None
    assert len(entry.shapes) == 1
    assert len(entry.costs) == 1
    assert len(entry.validation) == 1


# --- unexpected errors are logged short -------------------------------------------------


def test_a_recursion_error_is_logged_once_and_short(caplog: pytest.LogCaptureFixture) -> None:
    def recurse(depth: int) -> int:
        return recurse(depth + 1) + 1

    try:
        recurse(0)
    except RecursionError as exc:
        error = GraphQLError("maximum recursion depth exceeded", original_error=exc)

    with caplog.at_level(logging.ERROR, logger="gatehouse.errors"):
        log_unexpected([error])

    assert len(caplog.records) == 1
    assert len(caplog.text) < 4000
    assert "RecursionError" in caplog.text


# --- settings ---------------------------------------------------------------------------


def test_the_limits_are_settings_with_documented_defaults() -> None:
    defaults = Settings.load(environ={}, env_file=None)
    tuned = Settings.load(
        environ={
            "MAX_QUERY_DEPTH": "8",
            "MAX_QUERY_ALIASES": "5",
            "MAX_QUERY_COST": "1000",
            "MAX_QUERY_TOKENS": "2000",
            "MAX_ANONYMOUS_QUERY_TOKENS": "300",
            "MAX_QUERY_FRAGMENTS": "20",
            "MAX_QUERY_SPREADS": "40",
        },
        env_file=None,
    )

    assert (
        defaults.max_query_depth,
        defaults.max_query_aliases,
        defaults.max_query_cost,
        defaults.max_query_tokens,
        defaults.max_anonymous_query_tokens,
        defaults.max_query_fragments,
        defaults.max_query_spreads,
    ) == (15, 30, 25_000, 4000, 1000, 100, 200)
    assert (
        tuned.max_query_depth,
        tuned.max_query_aliases,
        tuned.max_query_cost,
        tuned.max_query_tokens,
        tuned.max_anonymous_query_tokens,
        tuned.max_query_fragments,
        tuned.max_query_spreads,
    ) == (8, 5, 1000, 2000, 300, 20, 40)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MAX_QUERY_DEPTH", "0"),
        ("MAX_QUERY_COST", "lots"),
        ("MAX_QUERY_FRAGMENTS", "151"),
        ("MAX_QUERY_TOKENS", "-1"),
    ],
)
def test_a_bad_limit_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{variable}: "):
        Settings.load(environ={variable: value}, env_file=None)


def test_measuring_a_fan_out_of_149_levels_visits_each_fragment_once() -> None:
    # 2**149 paths through the spreads: walking them would never end; the answer saturates.
    limits = QueryLimits(max_fragments=150, max_spreads=1000)

    error = check_limits(build_schema()._schema, parse(fan_out(149)), limits)

    assert error is not None
    assert error.extensions is not None
    assert error.extensions["cost"] >= 2**49
