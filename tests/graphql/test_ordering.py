"""Sorted lists: every `orderBy` field in both directions, paged through with cursors over
rows with ties and nulls, must match the same rows sorted in Python: by the field, ties by
id in the same direction, nulls last in both directions."""

import pytest

from models import ApiKey, User
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient
from tests.support.ordering import (
    API_KEY_COLUMNS,
    USER_COLUMNS,
    expected_order,
    seed_api_keys,
    seed_users,
)

USERS = """
query Users($first: Int, $after: String, $orderBy: UserOrder, $filter: UserFilter) {
  users(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
API_KEYS = """
query ApiKeys($first: Int, $after: String, $orderBy: ApiKeyOrder) {
  apiKeys(first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def page_through(
    gql: GraphQLClient, query: str, field: str, token: str, order_by: dict[str, str]
) -> tuple[list[str], set[int]]:
    seen: list[str] = []
    totals: set[int] = set()
    after = None
    for _ in range(50):  # bounded: far more pages than rows
        result = await gql.execute(
            query, {"first": 2, "after": after, "orderBy": order_by}, token=token
        )
        assert result.ok, result.body
        connection = result.data[field]
        totals.add(connection["totalCount"])
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return seen, totals
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(USER_COLUMNS))
async def test_users_page_through_in_the_order_asked_for(
    gql: GraphQLClient, super_admin: User, field: str, direction: str
) -> None:
    token = await gql.login(super_admin)
    await seed_users()
    rows = await User.all()

    seen, totals = await page_through(
        gql, USERS, "users", token, {"field": field, "direction": direction}
    )

    assert seen == expected_order(rows, USER_COLUMNS[field], direction == "DESC")
    assert totals == {len(rows)}


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(API_KEY_COLUMNS))
async def test_api_keys_page_through_in_the_order_asked_for(
    gql: GraphQLClient, super_admin: User, field: str, direction: str
) -> None:
    token = await gql.login(super_admin)
    await seed_api_keys(super_admin)
    rows = await ApiKey.all()

    seen, totals = await page_through(
        gql, API_KEYS, "apiKeys", token, {"field": field, "direction": direction}
    )

    assert seen == expected_order(rows, API_KEY_COLUMNS[field], direction == "DESC")
    assert totals == {len(rows)}


async def test_the_direction_defaults_to_asc_for_users_and_desc_for_keys(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    await seed_users()
    await seed_api_keys(super_admin)

    users, _ = await page_through(gql, USERS, "users", token, {"field": "DISPLAY_NAME"})
    keys, _ = await page_through(gql, API_KEYS, "apiKeys", token, {"field": "NAME"})

    assert users == expected_order(await User.all(), "display_name", descending=False)
    assert keys == expected_order(await ApiKey.all(), "name", descending=True)


async def test_without_order_by_the_default_order_is_unchanged(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    await seed_users()
    await seed_api_keys(super_admin)

    users = await gql.execute(USERS, {"first": 100}, token=token)
    keys = await gql.execute(API_KEYS, {"first": 100}, token=token)

    user_ids = [edge["node"]["id"] for edge in users.data["users"]["edges"]]
    key_ids = [edge["node"]["id"] for edge in keys.data["apiKeys"]["edges"]]
    assert user_ids == [gid(user) for user in await User.all().order_by("id")]
    assert key_ids == [gid(key) for key in await ApiKey.all().order_by("-id")]


async def test_sorting_keeps_the_filter(gql: GraphQLClient, super_admin: User) -> None:
    token = await gql.login(super_admin)
    await seed_users()

    result = await gql.execute(
        USERS,
        {"first": 10, "filter": {"search": "bob"}, "orderBy": {"field": "EMAIL"}},
        token=token,
    )

    bobs = await User.filter(display_name="bob").order_by("email")
    assert [edge["node"]["id"] for edge in result.data["users"]["edges"]] == [
        gid(user) for user in bobs
    ]
    assert result.data["users"]["totalCount"] == len(bobs)


@pytest.mark.parametrize(
    ("first_order", "then_order"),
    [
        pytest.param({"field": "EMAIL"}, {"field": "DISPLAY_NAME"}, id="other-field"),
        pytest.param(
            {"field": "EMAIL"}, {"field": "EMAIL", "direction": "DESC"}, id="other-direction"
        ),
        pytest.param(None, {"field": "EMAIL"}, id="default-then-sorted"),
        pytest.param({"field": "CREATED_AT"}, None, id="sorted-then-default"),
    ],
)
async def test_a_cursor_of_another_ordering_is_bad_user_input(
    gql: GraphQLClient,
    super_admin: User,
    first_order: dict[str, str] | None,
    then_order: dict[str, str] | None,
) -> None:
    token = await gql.login(super_admin)
    await make_user()
    first_page = await gql.execute(USERS, {"first": 1, "orderBy": first_order}, token=token)
    cursor = first_page.data["users"]["pageInfo"]["endCursor"]

    result = await gql.execute(
        USERS, {"first": 1, "after": cursor, "orderBy": then_order}, token=token
    )

    assert result.codes == ["BAD_USER_INPUT"]


async def test_a_cursor_of_the_other_list_is_bad_user_input(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    await make_api_key(super_admin)
    await make_api_key(super_admin)
    keys = await gql.execute(
        API_KEYS, {"first": 1, "orderBy": {"field": "CREATED_AT"}}, token=token
    )
    cursor = keys.data["apiKeys"]["pageInfo"]["endCursor"]

    result = await gql.execute(
        USERS,
        {"first": 1, "after": cursor, "orderBy": {"field": "CREATED_AT", "direction": "DESC"}},
        token=token,
    )

    assert result.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("cursor", ["", "bm90IGpzb24", "WzEsMiwzXQ==", "!!!"])
async def test_a_forged_cursor_is_bad_user_input(
    gql: GraphQLClient, super_admin: User, cursor: str
) -> None:
    token = await gql.login(super_admin)

    result = await gql.execute(
        USERS, {"after": cursor, "orderBy": {"field": "LAST_LOGIN_AT"}}, token=token
    )

    assert result.codes == ["BAD_USER_INPUT"]
