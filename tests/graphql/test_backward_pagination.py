"""Paging backward, as Relay does: `last` from the end of a list, `before` a cursor. Every
`orderBy` field in both directions, through ties and nulls, must give the same rows as
paging forward, in the same order, with `pageInfo` telling where each page sits."""

from typing import Any

import pytest
from graphql import parse

from auth.audit import AuditAction, audit
from auth.principal import Anonymous
from models import ApiKey, AuditEvent, User
from schema import build_schema
from schema.limits import QueryLimits, check_limits
from tests.support.database import column
from tests.support.factories import gid
from tests.support.graphql import GraphQLClient, Result
from tests.support.ordering import (
    API_KEY_COLUMNS,
    USER_COLUMNS,
    expected_order,
    seed_api_keys,
    seed_users,
)

PAGE = """
  totalCount
  edges { cursor node { id } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
"""
USERS = (
    "query Users($first: Int, $after: String, $last: Int, $before: String, "
    "$orderBy: UserOrder, $filter: UserFilter) { users(first: $first, after: $after, "
    "last: $last, before: $before, orderBy: $orderBy, filter: $filter) {" + PAGE + "} }"
)
API_KEYS = (
    "query ApiKeys($first: Int, $after: String, $last: Int, $before: String, "
    "$orderBy: ApiKeyOrder) { apiKeys(first: $first, after: $after, last: $last, "
    "before: $before, orderBy: $orderBy) {" + PAGE + "} }"
)
AUDIT_LOG = (
    "query AuditLog($first: Int, $after: String, $last: Int, $before: String) { "
    "auditLog(first: $first, after: $after, last: $last, before: $before) {" + PAGE + "} }"
)


def connection_of(result: Result, field: str) -> dict[str, Any]:
    assert result.ok, result.body
    connection: dict[str, Any] = result.data[field]
    return connection


async def page_backward(
    gql: GraphQLClient,
    query: str,
    field: str,
    token: str,
    variables: dict[str, Any],
    size: int = 2,
) -> list[str]:
    """Every id from the end to the start, `size` at a time, checking each page's info."""
    seen: list[str] = []
    before = None
    for _ in range(50):  # bounded: far more pages than rows
        result = await gql.execute(
            query, {**variables, "last": size, "before": before}, token=token
        )
        connection = connection_of(result, field)
        ids = [edge["node"]["id"] for edge in connection["edges"]]
        info = connection["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        assert info["startCursor"] == connection["edges"][0]["cursor"]
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        seen = ids + seen
        if not info["hasPreviousPage"]:
            return seen
        assert len(ids) == size
        before = info["startCursor"]
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(USER_COLUMNS))
async def test_users_page_backward_through_ties_and_nulls(
    gql: GraphQLClient, super_admin: User, field: str, direction: str
) -> None:
    token = await gql.login(super_admin)
    await seed_users()
    order_by = {"field": field, "direction": direction}

    seen = await page_backward(gql, USERS, "users", token, {"orderBy": order_by})

    rows = await User.all()
    assert seen == expected_order(rows, USER_COLUMNS[field], direction == "DESC")


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(API_KEY_COLUMNS))
async def test_api_keys_page_backward_through_ties_and_nulls(
    gql: GraphQLClient, super_admin: User, field: str, direction: str
) -> None:
    token = await gql.login(super_admin)
    await seed_api_keys(super_admin)
    order_by = {"field": field, "direction": direction}

    seen = await page_backward(gql, API_KEYS, "apiKeys", token, {"orderBy": order_by})

    rows = await ApiKey.all()
    assert seen == expected_order(rows, API_KEY_COLUMNS[field], direction == "DESC")


@pytest.mark.parametrize("size", [1, 3, 100])
async def test_default_orders_page_backward_by_id(
    gql: GraphQLClient, super_admin: User, size: int
) -> None:
    token = await gql.login(super_admin)
    await seed_users()
    await seed_api_keys(super_admin)
    for number in range(5):
        await audit(Anonymous(), AuditAction.SESSION_LOGIN, outcome="OK", details={"n": number})

    users = await page_backward(gql, USERS, "users", token, {}, size)
    keys = await page_backward(gql, API_KEYS, "apiKeys", token, {}, size)
    events = await page_backward(gql, AUDIT_LOG, "auditLog", token, {}, size)

    assert users == [gid(user) for user in await User.all().order_by("id")]
    assert keys == [gid(key) for key in await ApiKey.all().order_by("-id")]
    expected_events = await column(AuditEvent.all().order_by("-id").values_list("id", flat=True))
    assert [int(event) for event in events] == list(expected_events)


async def test_a_page_before_a_cursor_ends_just_before_it(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    await seed_users()
    order_by = {"field": "LAST_LOGIN_AT", "direction": "DESC"}
    forward = connection_of(
        await gql.execute(USERS, {"first": 5, "orderBy": order_by}, token=token), "users"
    )
    cursors = [edge["cursor"] for edge in forward["edges"]]

    result = await gql.execute(
        USERS, {"last": 2, "before": cursors[4], "orderBy": order_by}, token=token
    )

    page = connection_of(result, "users")
    assert [edge["cursor"] for edge in page["edges"]] == cursors[2:4]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["totalCount"] == await User.all().count()


async def test_last_alone_gives_the_end_of_the_list(gql: GraphQLClient, super_admin: User) -> None:
    token = await gql.login(super_admin)
    await seed_users()

    result = await gql.execute(
        "{ users(last: 2) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } }",
        token=token,
    )

    assert result.data["users"]["nodes"] == [
        {"id": gid(user)} for user in (await User.all().order_by("-id").limit(2))[::-1]
    ]
    assert result.data["users"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}


async def test_an_empty_page_before_the_first_row(gql: GraphQLClient, super_admin: User) -> None:
    token = await gql.login(super_admin)
    first = connection_of(await gql.execute(USERS, {"first": 1}, token=token), "users")

    result = await gql.execute(
        USERS, {"last": 5, "before": first["pageInfo"]["endCursor"]}, token=token
    )

    page = connection_of(result, "users")
    assert page["edges"] == []
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert page["pageInfo"]["startCursor"] is None
    assert page["totalCount"] == 1


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"first": 5, "last": 5}, id="first-and-last"),
        pytest.param({"first": 20, "last": 1}, id="default-first-given-explicitly"),
        pytest.param({"last": 0}, id="last-zero"),
        pytest.param({"last": 101}, id="last-over-100"),
        pytest.param({"last": -1}, id="last-negative"),
        pytest.param({"last": 2, "after": "VXNlcjox"}, id="last-with-after"),
        pytest.param({"first": 2, "before": "VXNlcjox"}, id="first-with-before"),
        pytest.param({"last": 2, "before": "not a cursor"}, id="before-not-a-cursor"),
    ],
)
@pytest.mark.parametrize(
    ("query", "field"), [(USERS, "users"), (API_KEYS, "apiKeys"), (AUDIT_LOG, "auditLog")]
)
async def test_mixed_or_out_of_range_page_arguments_are_bad_user_input(
    gql: GraphQLClient, super_admin: User, query: str, field: str, variables: dict[str, Any]
) -> None:
    token = await gql.login(super_admin)

    result = await gql.execute(query, variables, token=token)

    assert result.codes == ["BAD_USER_INPUT"], (field, result.body)


async def test_first_and_last_in_the_document_are_bad_user_input(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)

    result = await gql.execute("{ apiKeys(first: 3, last: 3) { totalCount } }", token=token)

    assert result.codes == ["BAD_USER_INPUT"]


async def test_a_cursor_of_another_ordering_is_bad_user_input_as_before(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    await seed_users()
    by_email = connection_of(
        await gql.execute(USERS, {"first": 2, "orderBy": {"field": "EMAIL"}}, token=token),
        "users",
    )

    result = await gql.execute(
        USERS,
        {
            "last": 2,
            "before": by_email["pageInfo"]["endCursor"],
            "orderBy": {"field": "CREATED_AT"},
        },
        token=token,
    )

    assert result.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("field", ["users", "apiKeys", "auditLog"])
def test_last_is_costed_like_first(field: str) -> None:
    schema = build_schema()._schema
    limits = QueryLimits(max_cost=1)
    costs = []
    for page in ("first: 100", "last: 100", "last: 7", "first: 7"):
        error = check_limits(schema, parse(f"{{ {field}({page}) {{ nodes {{ id }} }} }}"), limits)
        assert error is not None
        assert error.extensions is not None
        costs.append(error.extensions["cost"])

    # the field, `nodes`, and an `id` per item
    assert costs == [2 + 100, 2 + 100, 2 + 7, 2 + 7]
