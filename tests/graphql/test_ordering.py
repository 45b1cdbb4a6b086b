"""Sorted lists: every `orderBy` field in both directions, paged through with cursors over
rows with ties and nulls, must match the same rows sorted in Python: by the field, ties by
id in the same direction, nulls last in both directions."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from models import ApiKey, Role, User
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

T0 = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)

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

USER_COLUMNS = {
    "EMAIL": "email",
    "DISPLAY_NAME": "display_name",
    "CREATED_AT": "created_at",
    "LAST_LOGIN_AT": "last_login_at",
}
API_KEY_COLUMNS = {
    "NAME": "name",
    "CREATED_AT": "created_at",
    "LAST_USED_AT": "last_used_at",
    "EXPIRES_AT": "expires_at",
    "TOTAL_CALLS": "total_calls",
}


def expected_order(rows: list[Any], column: str, descending: bool) -> list[str]:
    valued = [row for row in rows if getattr(row, column) is not None]
    nulls = [row for row in rows if getattr(row, column) is None]
    valued.sort(key=lambda row: (getattr(row, column), row.id), reverse=descending)
    nulls.sort(key=lambda row: row.id, reverse=descending)
    return [gid(row) for row in valued + nulls]


async def page_through(
    client: AsyncClient, query: str, field: str, token: str, order_by: dict[str, str]
) -> tuple[list[str], set[int]]:
    seen: list[str] = []
    totals: set[int] = set()
    after = None
    for _ in range(50):  # bounded: far more pages than rows
        body = await graphql(
            client, query, {"first": 2, "after": after, "orderBy": order_by}, token=token
        )
        assert "errors" not in body, body
        connection = body["data"][field]
        totals.add(connection["totalCount"])
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return seen, totals
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


async def seed_users() -> None:
    names = ["bob", "Alice", "bob", "Zed", "alice", "bob", "Émile"]
    made = [await make_user(display_name=name, roles=(Role.READ_ONLY,)) for name in names]
    ids = [user.id for user in made]
    # Ties on created_at and on last_login_at, and some who never signed in (null).
    await User.filter(id__in=ids[:3]).update(created_at=T0)
    await User.filter(id__in=ids[3:5]).update(created_at=T0 - timedelta(days=1))
    await User.filter(id__in=ids[0:2]).update(last_login_at=T0 + timedelta(hours=1))
    await User.filter(id=ids[2]).update(last_login_at=T0 - timedelta(hours=1))


async def seed_api_keys(owner: User) -> None:
    names = ["deploy", "Backup", "deploy", "ci", "deploy", "zeta"]
    made = [(await make_api_key(owner, name=name))[0] for name in names]
    ids = [key.id for key in made]
    await ApiKey.filter(id__in=ids[:3]).update(created_at=T0)
    await ApiKey.filter(id__in=ids[1:4]).update(last_used_at=T0 + timedelta(minutes=5))
    await ApiKey.filter(id=ids[5]).update(last_used_at=T0)
    await ApiKey.filter(id__in=ids[0:2]).update(expires_at=T0 + timedelta(days=30))
    await ApiKey.filter(id=ids[4]).update(expires_at=T0 + timedelta(days=3))
    await ApiKey.filter(id__in=ids[2:5]).update(total_calls=7)
    await ApiKey.filter(id=ids[0]).update(total_calls=40)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(USER_COLUMNS))
async def test_users_page_through_in_the_order_asked_for(
    client: AsyncClient, super_admin: User, field: str, direction: str
) -> None:
    token = await login(client, super_admin)
    await seed_users()
    rows = await User.all()

    seen, totals = await page_through(
        client, USERS, "users", token, {"field": field, "direction": direction}
    )

    assert seen == expected_order(rows, USER_COLUMNS[field], direction == "DESC")
    assert totals == {len(rows)}


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(API_KEY_COLUMNS))
async def test_api_keys_page_through_in_the_order_asked_for(
    client: AsyncClient, super_admin: User, field: str, direction: str
) -> None:
    token = await login(client, super_admin)
    await seed_api_keys(super_admin)
    rows = await ApiKey.all()

    seen, totals = await page_through(
        client, API_KEYS, "apiKeys", token, {"field": field, "direction": direction}
    )

    assert seen == expected_order(rows, API_KEY_COLUMNS[field], direction == "DESC")
    assert totals == {len(rows)}


async def test_the_direction_defaults_to_asc_for_users_and_desc_for_keys(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    await seed_users()
    await seed_api_keys(super_admin)

    users, _ = await page_through(client, USERS, "users", token, {"field": "DISPLAY_NAME"})
    keys, _ = await page_through(client, API_KEYS, "apiKeys", token, {"field": "NAME"})

    assert users == expected_order(await User.all(), "display_name", descending=False)
    assert keys == expected_order(await ApiKey.all(), "name", descending=True)


async def test_without_order_by_the_default_order_is_unchanged(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    await seed_users()
    await seed_api_keys(super_admin)

    users = await graphql(client, USERS, {"first": 100}, token=token)
    keys = await graphql(client, API_KEYS, {"first": 100}, token=token)

    user_ids = [edge["node"]["id"] for edge in users["data"]["users"]["edges"]]
    key_ids = [edge["node"]["id"] for edge in keys["data"]["apiKeys"]["edges"]]
    assert user_ids == [gid(user) for user in await User.all().order_by("id")]
    assert key_ids == [gid(key) for key in await ApiKey.all().order_by("-id")]


async def test_sorting_keeps_the_filter(client: AsyncClient, super_admin: User) -> None:
    token = await login(client, super_admin)
    await seed_users()

    body = await graphql(
        client,
        USERS,
        {"first": 10, "filter": {"search": "bob"}, "orderBy": {"field": "EMAIL"}},
        token=token,
    )

    bobs = await User.filter(display_name="bob").order_by("email")
    assert [edge["node"]["id"] for edge in body["data"]["users"]["edges"]] == [
        gid(user) for user in bobs
    ]
    assert body["data"]["users"]["totalCount"] == len(bobs)


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
    client: AsyncClient,
    super_admin: User,
    first_order: dict[str, str] | None,
    then_order: dict[str, str] | None,
) -> None:
    token = await login(client, super_admin)
    await make_user()
    first_page = await graphql(client, USERS, {"first": 1, "orderBy": first_order}, token=token)
    cursor = first_page["data"]["users"]["pageInfo"]["endCursor"]

    body = await graphql(
        client, USERS, {"first": 1, "after": cursor, "orderBy": then_order}, token=token
    )

    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_a_cursor_of_the_other_list_is_bad_user_input(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    await make_api_key(super_admin)
    await make_api_key(super_admin)
    keys = await graphql(
        client, API_KEYS, {"first": 1, "orderBy": {"field": "CREATED_AT"}}, token=token
    )
    cursor = keys["data"]["apiKeys"]["pageInfo"]["endCursor"]

    body = await graphql(
        client,
        USERS,
        {"first": 1, "after": cursor, "orderBy": {"field": "CREATED_AT", "direction": "DESC"}},
        token=token,
    )

    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("cursor", ["", "bm90IGpzb24", "WzEsMiwzXQ==", "!!!"])
async def test_a_forged_cursor_is_bad_user_input(
    client: AsyncClient, super_admin: User, cursor: str
) -> None:
    token = await login(client, super_admin)

    body = await graphql(
        client, USERS, {"after": cursor, "orderBy": {"field": "LAST_LOGIN_AT"}}, token=token
    )

    assert error_codes(body) == ["BAD_USER_INPUT"]
