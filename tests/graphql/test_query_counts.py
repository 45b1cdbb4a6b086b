"""SQL statements per request: listing keys with their creators and usage, and the key
metrics, cost a fixed number of queries however many keys and calls there are."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from httpx import AsyncClient

from auth.runtime import record_call
from auth.tokens import generate_api_key
from models import ApiKey, ApiKeyUsageDay, Role, User
from tests.support.documents import KEY_METRICS, ME_ID
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login
from tests.support.statements import counting_queries

LIST_KEYS = """
query {
  apiKeys(first: 100) {
    totalCount
    nodes { name createdBy { email } usage(days: 7) { date calls } }
  }
}
"""


async def make_keys_with_usage(creators: list[User], count: int) -> None:
    today = datetime.now(UTC).date()
    for number in range(count):
        api_key, _ = await make_api_key(creators[number % len(creators)], name=f"key {number}")
        await ApiKeyUsageDay.create(
            api_key=api_key, day=today - timedelta(days=number % 3), calls=1
        )


async def test_listing_keys_with_creators_and_usage_costs_the_same_for_5_or_100_keys(
    client: AsyncClient, super_admin: User
) -> None:
    creators = [await make_user(roles=(Role.ADMIN,)) for _ in range(5)]
    token = await login(client, super_admin)
    await make_keys_with_usage(creators, 5)
    with counting_queries() as few_keys:
        few = await graphql(client, LIST_KEYS, token=token)
    await ApiKey.all().delete()
    await make_keys_with_usage(creators, 100)

    with counting_queries() as many_keys:
        many = await graphql(client, LIST_KEYS, token=token)

    assert len(few["data"]["apiKeys"]["nodes"]) == 5
    nodes = many["data"]["apiKeys"]["nodes"]
    assert len(nodes) == 100
    assert {node["createdBy"]["email"] for node in nodes} == {user.email for user in creators}
    assert sum(day["calls"] for node in nodes for day in node["usage"]) == 100
    # session, page of keys with their creators and their total in one statement, usage
    assert len(many_keys) == len(few_keys) == 3, many_keys


async def test_key_metrics_costs_the_same_however_many_calls_were_recorded(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    _, secret = await make_api_key(super_admin)
    await graphql(client, ME_ID, headers={"X-API-Key": secret})
    with counting_queries() as one_call:
        before = await graphql(client, KEY_METRICS, token=token)
    now = datetime.now(UTC)
    for number in range(30):
        api_key, _ = await make_api_key(super_admin, name=f"busy {number}")
        for offset in range(3):
            day = now - timedelta(days=offset)
            await asyncio.gather(*(record_call(api_key.id, day) for _ in range(7)))

    with counting_queries() as many_calls:
        after = await graphql(client, KEY_METRICS, token=token)

    assert before["data"]["keyMetrics"]["apiCallsToday"] == 1
    assert after["data"]["keyMetrics"]["apiCallsToday"] == 1 + 30 * 7
    assert after["data"]["keyMetrics"]["totalKeys"] == 31
    # the session, then every figure in one statement
    assert len(many_calls) == len(one_call) == 2, many_calls


async def test_a_mistyped_key_is_refused_without_touching_the_database(
    client: AsyncClient, super_admin: User
) -> None:
    _, secret = await make_api_key(super_admin)
    mistyped = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    with counting_queries() as statements:
        body = await graphql(client, ME_ID, headers={"X-API-Key": mistyped})

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert statements == []


async def test_an_unknown_key_costs_one_lookup_and_writes_nothing(
    client: AsyncClient, super_admin: User
) -> None:
    with counting_queries() as statements:
        body = await graphql(client, ME_ID, headers={"X-API-Key": generate_api_key().secret})

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert len(statements) == 1, statements
    assert statements[0].lstrip().upper().startswith("SELECT")


NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"


async def test_nodes_costs_the_same_for_2_or_40_ids(client: AsyncClient, super_admin: User) -> None:
    token = await login(client, super_admin)
    users = [await make_user() for _ in range(20)]
    keys = [(await make_api_key(super_admin, name=f"key {n}"))[0] for n in range(20)]
    few_ids = [gid(users[0]), gid(keys[0])]
    many_ids = [gid(user) for user in users] + [gid(key) for key in keys]

    with counting_queries() as few_queries:
        few = await graphql(client, NODES, {"ids": few_ids}, token=token)
    with counting_queries() as many_queries:
        many = await graphql(client, NODES, {"ids": many_ids}, token=token)

    assert [node["id"] for node in few["data"]["nodes"]] == few_ids
    assert [node["id"] for node in many["data"]["nodes"]] == many_ids
    assert len(many_queries) == len(few_queries)
