"""Credits: spent by one conditional statement, exact however many verifications race;
refilled lazily; an exhausted key is refused on Gatehouse's own API until its refill."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from auth.audit import AuditAction
from core.clock import utcnow
from core.enums import RefillInterval
from models import ApiKey, AuditEvent, Role, User
from resolvers.key_rules import Refill
from tests.support.documents import ME_ID
from tests.support.factories import gid, make_api_key
from tests.support.graphql import GraphQLClient
from tests.support.verification import verdict
from tests.verification.conftest import Root


async def _me(client: httpx.AsyncClient, secret: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": ME_ID}, headers={"Authorization": f"Bearer {secret}"}
    )


async def test_eighty_concurrent_verifications_of_fifty_credits_give_fifty_valid(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    key, secret = await make_api_key(customer, remaining=50)

    answers = await asyncio.gather(*(verdict(client, root.secret, key=secret) for _ in range(80)))

    codes = [answer["code"] for answer in answers]
    assert codes.count("VALID") == 50
    assert codes.count("USAGE_EXCEEDED") == 30
    stored = await ApiKey.get(id=key.id)
    assert (stored.remaining, stored.total_calls) == (0, 50)
    assert sorted(answer["remaining"] for answer in answers if answer["valid"]) == list(range(50))


async def test_last_credit_is_audited_once(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    key, secret = await make_api_key(customer, remaining=2)

    for _ in range(4):
        await verdict(client, root.secret, key=secret, operation="export")

    events = await AuditEvent.filter(action=str(AuditAction.API_KEY_EXHAUSTED))
    assert [(event.target_id, event.actor_id) for event in events] == [(key.id, root.key.id)]
    assert events[0].details == {
        "name": "automation",
        "operation": "export",
        "keyOwnerId": root.owner.id,
    }
    # Verifications that change nothing leave no event.
    assert await AuditEvent.filter(action=str(AuditAction.API_KEY_VERIFY)).count() == 0


async def test_exhausted_key_is_rate_limited_on_the_own_api_until_its_refill(
    gql: GraphQLClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer, remaining=1, refill=Refill(5, RefillInterval.DAILY))
    before = await gql.execute(ME_ID, token=secret)
    await verdict(gql.http, root.secret, key=secret)

    # Before the request: the server rounds the wait up from its own, later, clock.
    asked = utcnow()
    after = await _me(gql.http, secret)

    assert before.ok  # own-API calls spend no credit
    assert after.status_code == 429
    extensions = after.json()["errors"][0]["extensions"]
    assert int(after.headers["retry-after"]) == extensions["retryAfter"]
    assert (extensions["code"], extensions["reason"]) == ("RATE_LIMITED", "USAGE_EXCEEDED")
    tomorrow = (asked + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert 0 < extensions["retryAfter"] <= (tomorrow - asked).total_seconds() + 1


async def test_exhausted_key_without_refill_is_refused_too(
    gql: GraphQLClient, customer: User
) -> None:
    _, secret = await make_api_key(customer, remaining=0)

    response = await _me(gql.http, secret)

    extensions = response.json()["errors"][0]["extensions"]
    assert (response.status_code, extensions["reason"]) == (429, "USAGE_EXCEEDED")
    assert extensions["retryAfter"] > 0


@pytest.mark.parametrize(
    ("interval", "last_refill"), [("DAILY", timedelta(days=1)), ("MONTHLY", timedelta(days=32))]
)
async def test_refill_sets_the_credits_back_at_the_next_use(
    client: httpx.AsyncClient,
    root: Root,
    customer: User,
    interval: str,
    last_refill: timedelta,
) -> None:
    key, secret = await make_api_key(
        customer, remaining=3, refill=Refill(3, RefillInterval(interval))
    )
    await ApiKey.filter(id=key.id).update(remaining=0, refilled_at=utcnow() - last_refill)

    answer = await verdict(client, root.secret, key=secret, cost=2)

    assert (answer["code"], answer["remaining"]) == ("VALID", 1)
    stored = await ApiKey.get(id=key.id)
    assert stored.refilled_at is not None
    assert stored.refilled_at > utcnow() - timedelta(minutes=1)


async def test_refill_within_the_same_period_waits(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer, remaining=1, refill=Refill(9, RefillInterval.DAILY))

    answers = [await verdict(client, root.secret, key=secret) for _ in range(2)]

    assert [answer["code"] for answer in answers] == ["VALID", "USAGE_EXCEEDED"]


async def test_api_key_shows_its_credits(gql: GraphQLClient, customer: User) -> None:
    _, token = await gql.user_with_token(Role.READ_ONLY)
    key, _ = await make_api_key(customer, remaining=4, refill=Refill(4, RefillInterval.MONTHLY))

    result = await gql.execute(
        "query($id: ID!) { apiKey(id: $id) { remaining refill { amount interval } } }",
        {"id": gid(key)},
        token=token,
    )

    answer: dict[str, Any] = result.data["apiKey"]
    assert answer == {"remaining": 4, "refill": {"amount": 4, "interval": "MONTHLY"}}
