"""Per-key rate limits: `rateLimitPerMinute` on create, RATE_LIMITED with retryAfter and
HTTP 429 + Retry-After over it, refused calls counted apart from calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from auth.principal import Principal
from models import ApiKey, ApiKeyUsageDay, Role, Scope
from resolvers import api_keys
from tests.support.database import column
from tests.support.documents import ME_ID
from tests.support.factories import make_user
from tests.support.graphql import error_codes, graphql, token_for
from tests.support.limiter import (
    app_client,
    post,
)

NOW = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
CREATE_KEY = """
mutation Create($limit: Int) {
  createApiKey(input: {name: "limited", scopes: [READ], rateLimitPerMinute: $limit}) {
    apiKey { id rateLimitPerMinute rateLimitedCalls totalCalls }
    secret
  }
}
"""
KEY_FIGURES = """
query Key($id: ID!) { apiKey(id: $id) { rateLimitPerMinute rateLimitedCalls totalCalls } }
"""


async def _limited_key(calls_per_minute: int | None) -> tuple[ApiKey, str]:
    owner = await make_user(roles=(Role.ADMIN,))
    created = await api_keys.create_api_key(
        Principal(user=owner),
        name="limited",
        scopes=[Scope.READ],
        rate_limit_per_minute=calls_per_minute,
    )
    return created.api_key, created.secret


async def test_a_key_over_its_limit_is_refused_with_429_and_retry_after(
    backend: dict[str, Any],
) -> None:
    api_key, secret = await _limited_key(3)
    async with app_client(**backend) as client:
        answers = [await post(client, ME_ID, headers={"X-API-Key": secret}) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    refused = answers[3]
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    retry_after = error["extensions"]["retryAfter"]
    assert 1 <= retry_after <= 60
    assert refused.headers["Retry-After"] == str(retry_after)
    assert "data" not in refused.json()
    await api_key.refresh_from_db()
    assert (api_key.total_calls, api_key.rate_limited_calls) == (3, 2)
    assert await column(
        ApiKeyUsageDay.filter(api_key_id=api_key.id).values_list("calls", flat=True)
    ) == [3]


async def test_the_limit_opens_again_when_the_minute_is_over(db: None) -> None:
    _, secret = await _limited_key(2)
    with time_machine.travel(NOW, tick=False) as traveller:
        async with app_client() as client:
            codes = [(await post(client, ME_ID, headers={"X-API-Key": secret})).status_code]
            traveller.shift(timedelta(seconds=30))
            codes += [(await post(client, ME_ID, headers={"X-API-Key": secret})).status_code]
            refused = await post(client, ME_ID, headers={"X-API-Key": secret})
            traveller.shift(timedelta(seconds=30))
            codes += [(await post(client, ME_ID, headers={"X-API-Key": secret})).status_code]

    assert codes == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"


async def test_parallel_calls_get_exactly_the_limit(backend: dict[str, Any]) -> None:
    api_key, secret = await _limited_key(7)
    async with app_client(**backend) as client:
        answers = await asyncio.gather(
            *(post(client, ME_ID, headers={"X-API-Key": secret}) for _ in range(20))
        )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 7 + [429] * 13
    await api_key.refresh_from_db()
    assert (api_key.total_calls, api_key.rate_limited_calls) == (7, 13)


async def test_a_key_without_a_limit_is_never_refused(db: None) -> None:
    api_key, secret = await _limited_key(None)
    async with app_client() as client:
        answers = [await post(client, ME_ID, headers={"X-API-Key": secret}) for _ in range(30)]

    assert {answer.status_code for answer in answers} == {200}
    await api_key.refresh_from_db()
    assert (api_key.total_calls, api_key.rate_limited_calls) == (30, 0)


async def test_keys_are_limited_each_on_their_own(db: None) -> None:
    _, first = await _limited_key(1)
    _, second = await _limited_key(1)
    async with app_client() as client:
        first_answers = [await post(client, ME_ID, headers={"X-API-Key": first}) for _ in range(2)]
        second_answer = await post(client, ME_ID, headers={"Authorization": f"Bearer {second}"})

    assert [answer.status_code for answer in first_answers] == [200, 429]
    assert second_answer.status_code == 200


async def test_create_api_key_sets_the_limit_and_every_role_reads_it(client: Any) -> None:
    _, admin_token = await token_for(client, Role.ADMIN)
    _, reader_token = await token_for(client, Role.READ_ONLY)
    created = await graphql(client, CREATE_KEY, {"limit": 120}, token=admin_token)
    key = created["data"]["createApiKey"]["apiKey"]
    read = await graphql(client, KEY_FIGURES, {"id": key["id"]}, token=reader_token)

    assert key == {
        "id": key["id"],
        "rateLimitPerMinute": 120,
        "rateLimitedCalls": 0,
        "totalCalls": 0,
    }
    assert read["data"]["apiKey"] == {
        "rateLimitPerMinute": 120,
        "rateLimitedCalls": 0,
        "totalCalls": 0,
    }


@pytest.mark.parametrize("limit", [0, -1, 100_001])
async def test_a_limit_outside_1_to_100000_is_bad_user_input(client: Any, limit: int) -> None:
    _, token = await token_for(client, Role.ADMIN)
    body = await graphql(client, CREATE_KEY, {"limit": limit}, token=token)

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert await ApiKey.all().count() == 0


async def test_no_limit_is_null(client: Any) -> None:
    _, token = await token_for(client, Role.ADMIN)
    body = await graphql(client, CREATE_KEY, {"limit": None}, token=token)

    assert body["data"]["createApiKey"]["apiKey"]["rateLimitPerMinute"] is None


async def test_a_read_only_user_cannot_create_a_limited_key(client: Any) -> None:
    _, token = await token_for(client, Role.READ_ONLY)
    body = await graphql(client, CREATE_KEY, {"limit": 10}, token=token)

    assert error_codes(body) == ["FORBIDDEN"]
