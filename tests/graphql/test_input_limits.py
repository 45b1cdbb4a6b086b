"""Over-long text is refused as BAD_USER_INPUT naming the limit, never INTERNAL, on SQLite
(which refuses LIKE patterns over 50,000 bytes) and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from models import ApiKey, User
from resolvers.key_rules import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH
from resolvers.users import MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH, MAX_SEARCH_LENGTH
from tests.support.documents import CREATE_API_KEY_SECRET, CREATE_USER, UPDATE_USER
from tests.support.factories import PASSWORD, gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

USERS = """
query Users($filter: UserFilter) { users(filter: $filter) { totalCount nodes { email } } }
"""
API_KEYS = """
query ApiKeys($filter: ApiKeyFilter) { apiKeys(filter: $filter) { totalCount nodes { name } } }
"""


@pytest.fixture
async def token(client: AsyncClient, super_admin: User) -> str:
    return await login(client, super_admin)


def assert_refused_naming(body: dict[str, Any], field: str, limit: int) -> None:
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    message = body["errors"][0]["message"]
    assert field in message
    assert str(limit) in message


@pytest.mark.parametrize("document", [USERS, API_KEYS], ids=["users", "apiKeys"])
@pytest.mark.parametrize("length", [MAX_SEARCH_LENGTH + 1, 50_000, 500_000])
async def test_an_over_long_search_is_bad_user_input(
    client: AsyncClient, token: str, document: str, length: int
) -> None:
    body = await graphql(client, document, {"filter": {"search": "a" * length}}, token=token)

    assert_refused_naming(body, "search", MAX_SEARCH_LENGTH)
    assert body["data"] is None


async def test_a_search_as_long_as_the_longest_email_still_finds_it(
    client: AsyncClient, token: str
) -> None:
    email = "a" * (MAX_EMAIL_LENGTH - len("@example.com")) + "@example.com"
    await make_user(email=email)

    body = await graphql(client, USERS, {"filter": {"search": email.upper()}}, token=token)

    assert "errors" not in body, body
    assert body["data"]["users"]["nodes"] == [{"email": email}]


async def test_a_search_as_long_as_a_key_name_still_finds_it(
    client: AsyncClient, super_admin: User, token: str
) -> None:
    name = "k" * MAX_NAME_LENGTH
    await make_api_key(super_admin, name=name)

    body = await graphql(client, API_KEYS, {"filter": {"search": name}}, token=token)

    assert body["data"]["apiKeys"]["nodes"] == [{"name": name}]


@pytest.mark.parametrize(
    ("overrides", "field", "limit"),
    [
        pytest.param(
            {"email": "a" * MAX_EMAIL_LENGTH + "@example.com"},
            "email",
            MAX_EMAIL_LENGTH,
            id="email",
        ),
        pytest.param(
            {"email": "b" * 100_000 + "@example.com"}, "email", MAX_EMAIL_LENGTH, id="huge-email"
        ),
        pytest.param(
            {"displayName": "n" * (MAX_DISPLAY_NAME_LENGTH + 1)},
            "displayName",
            MAX_DISPLAY_NAME_LENGTH,
            id="display-name",
        ),
        pytest.param({"password": "p" * 1025}, "password", 1024, id="password"),
    ],
)
async def test_create_user_refuses_over_long_fields_naming_the_limit(
    client: AsyncClient, token: str, overrides: dict[str, str], field: str, limit: int
) -> None:
    new_user = {
        "email": "long@example.com",
        "displayName": "Long",
        "password": PASSWORD,
        "roles": ["READ_ONLY"],
        **overrides,
    }

    body = await graphql(client, CREATE_USER, {"input": new_user}, token=token)

    assert_refused_naming(body, field, limit)
    assert await User.all().count() == 1


async def test_update_user_refuses_an_over_long_display_name(
    client: AsyncClient, token: str
) -> None:
    target = await make_user(display_name="Before")

    body = await graphql(
        client,
        UPDATE_USER,
        {"id": gid(target), "input": {"displayName": "n" * 100_000}},
        token=token,
    )

    assert_refused_naming(body, "displayName", MAX_DISPLAY_NAME_LENGTH)
    assert (await User.get(id=target.id)).display_name == "Before"


@pytest.mark.parametrize(
    ("overrides", "field", "limit"),
    [
        pytest.param({"name": "n" * (MAX_NAME_LENGTH + 1)}, "name", MAX_NAME_LENGTH, id="name"),
        pytest.param({"name": "n" * 200_000}, "name", MAX_NAME_LENGTH, id="huge-name"),
        pytest.param(
            {"description": "d" * (MAX_DESCRIPTION_LENGTH + 1)},
            "description",
            MAX_DESCRIPTION_LENGTH,
            id="description",
        ),
    ],
)
async def test_create_api_key_refuses_over_long_fields_naming_the_limit(
    client: AsyncClient, token: str, overrides: dict[str, str], field: str, limit: int
) -> None:
    new_key = {"name": "deploy", "scopes": ["READ"], **overrides}

    body = await graphql(client, CREATE_API_KEY_SECRET, {"input": new_key}, token=token)

    assert_refused_naming(body, field, limit)
    assert await ApiKey.all().count() == 0
