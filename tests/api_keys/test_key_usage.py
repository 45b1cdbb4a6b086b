"""Counting calls: every request a valid key authenticates is one call, exactly, also when
many come at once; refused keys are not counted; usage per UTC day and the key metrics."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from httpx import AsyncClient

from auth.tokens import generate_api_key
from models import ApiKey, ApiKeyUsageDay, Role, Scope, User, UserStatus
from tests.support.documents import KEY_METRICS, ME_ID, REVOKE_KEY
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

NOW = datetime(2030, 3, 14, 15, 30, tzinfo=UTC)
TODAY = NOW.date()

KEY_USAGE = """
query KeyUsage($id: ID!, $days: Int!) {
  apiKey(id: $id) { totalCalls lastUsedAt usage(days: $days) { date calls } }
}
"""


def key_header(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


async def call_with_key(client: AsyncClient, secret: str, times: int = 1) -> None:
    for _ in range(times):
        body = await graphql(client, ME_ID, headers=key_header(secret))
        assert "errors" not in body, body


async def calls_per_day(api_key: ApiKey) -> dict[date, int]:
    rows = await ApiKeyUsageDay.filter(api_key_id=api_key.id).values_list("day", "calls")
    return dict(rows)


async def test_each_request_with_a_key_counts_exactly_once(
    client: AsyncClient, super_admin: User
) -> None:
    with time_machine.travel(NOW, tick=False):
        token = await login(client, super_admin)
        api_key, secret = await make_api_key(super_admin)

        await call_with_key(client, secret, times=3)
        usage = await graphql(client, KEY_USAGE, {"id": gid(api_key), "days": 1}, token=token)
        metrics = await graphql(client, KEY_METRICS, token=token)

    stored = await ApiKey.get(id=api_key.id)
    assert (stored.total_calls, stored.last_used_at) == (3, NOW)
    assert await calls_per_day(api_key) == {TODAY: 3}
    assert usage["data"]["apiKey"] == {
        "totalCalls": 3,
        "lastUsedAt": NOW.isoformat(),
        "usage": [{"date": TODAY.isoformat(), "calls": 3}],
    }
    assert metrics["data"]["keyMetrics"]["apiCallsToday"] == 3


async def test_last_used_at_is_the_time_of_the_latest_call(
    client: AsyncClient, super_admin: User
) -> None:
    api_key, secret = await make_api_key(super_admin)
    with time_machine.travel(NOW, tick=False) as traveller:
        await call_with_key(client, secret)
        traveller.shift(timedelta(minutes=5))
        await call_with_key(client, secret)

    assert (await ApiKey.get(id=api_key.id)).last_used_at == NOW + timedelta(minutes=5)


async def test_a_refused_operation_by_a_valid_key_still_counts(
    client: AsyncClient, super_admin: User
) -> None:
    api_key, secret = await make_api_key(super_admin, scopes=(Scope.READ,))

    body = await graphql(client, "mutation { deleteApiKey(id: 1) }", headers=key_header(secret))

    assert error_codes(body) == ["FORBIDDEN"]
    assert (await ApiKey.get(id=api_key.id)).total_calls == 1


async def test_requests_with_a_session_are_not_key_calls(
    client: AsyncClient, super_admin: User
) -> None:
    api_key, _ = await make_api_key(super_admin)
    token = await login(client, super_admin)

    await graphql(client, ME_ID, token=token)
    metrics = await graphql(client, KEY_METRICS, token=token)

    assert metrics["data"]["keyMetrics"]["apiCallsToday"] == 0
    assert (await ApiKey.get(id=api_key.id)).total_calls == 0
    assert await ApiKeyUsageDay.all().count() == 0


async def test_concurrent_requests_are_each_counted(client: AsyncClient, super_admin: User) -> None:
    api_key, secret = await make_api_key(super_admin)
    other_key, other_secret = await make_api_key(super_admin)

    # The first burst races to create the day's usage row, the second to increment it.
    for _ in range(2):
        bodies = await asyncio.gather(
            *(graphql(client, ME_ID, headers=key_header(secret)) for _ in range(50)),
            *(graphql(client, ME_ID, headers=key_header(other_secret)) for _ in range(5)),
        )
        assert all("errors" not in body for body in bodies)

    token = await login(client, super_admin)
    metrics = await graphql(client, KEY_METRICS, token=token)
    assert (await ApiKey.get(id=api_key.id)).total_calls == 100
    assert (await ApiKey.get(id=other_key.id)).total_calls == 10
    today = datetime.now(UTC).date()
    assert await calls_per_day(api_key) == {today: 100}
    assert await calls_per_day(other_key) == {today: 10}
    assert metrics["data"]["keyMetrics"]["apiCallsToday"] == 110


async def make_refused_key(owner: User, refusal: str) -> tuple[ApiKey, str]:
    """A key that NOW refuses for the named reason."""
    if refusal == "unknown":
        owner_key, _ = await make_api_key(owner)
        return owner_key, generate_api_key().secret
    if refusal == "expired":
        return await make_api_key(owner, expires_at=NOW - timedelta(hours=1))
    api_key, secret = await make_api_key(owner)
    if refusal == "revoked":
        await ApiKey.filter(id=api_key.id).update(revoked_at=NOW - timedelta(hours=1))
    else:
        await User.filter(id=owner.id).update(status=UserStatus.INACTIVE)
    return api_key, secret


@pytest.mark.parametrize("refusal", ["unknown", "revoked", "expired", "owner deactivated"])
async def test_refused_keys_are_unauthenticated_and_not_counted(
    client: AsyncClient, super_admin: User, refusal: str
) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    with time_machine.travel(NOW - timedelta(hours=2), tick=False) as traveller:
        api_key, secret = await make_refused_key(owner, refusal)
        traveller.move_to(NOW)
        token = await login(client, super_admin)

        body = await graphql(client, ME_ID, headers=key_header(secret))
        metrics = await graphql(client, KEY_METRICS, token=token)

    assert error_codes(body) == ["UNAUTHENTICATED"]
    stored = await ApiKey.get(id=api_key.id)
    assert (stored.total_calls, stored.last_used_at) == (0, None)
    assert await ApiKeyUsageDay.all().count() == 0
    assert metrics["data"]["keyMetrics"]["apiCallsToday"] == 0


async def test_usage_lists_contiguous_days_oldest_first_with_zero_days(
    client: AsyncClient, super_admin: User
) -> None:
    with time_machine.travel(NOW - timedelta(days=3), tick=False) as traveller:
        api_key, secret = await make_api_key(super_admin)
        await call_with_key(client, secret)
        traveller.move_to(NOW - timedelta(days=1))
        await call_with_key(client, secret, times=2)
        traveller.move_to(NOW)
        await call_with_key(client, secret, times=3)
        token = await login(client, super_admin)

        body = await graphql(client, KEY_USAGE, {"id": gid(api_key), "days": 7}, token=token)
        metrics = await graphql(client, KEY_METRICS, token=token)

    days = [(TODAY - timedelta(days=offset)).isoformat() for offset in range(6, -1, -1)]
    assert body["data"]["apiKey"]["usage"] == [
        {"date": day, "calls": calls}
        for day, calls in zip(days, [0, 0, 0, 1, 0, 2, 3], strict=True)
    ]
    assert body["data"]["apiKey"]["totalCalls"] == 6
    assert metrics["data"]["keyMetrics"]["apiCallsToday"] == 3


async def test_usage_days_are_utc_days(client: AsyncClient, super_admin: User) -> None:
    midnight = datetime(2030, 3, 15, tzinfo=UTC)
    with time_machine.travel(midnight - timedelta(seconds=1), tick=False) as traveller:
        api_key, secret = await make_api_key(super_admin)
        await call_with_key(client, secret)
        traveller.move_to(midnight)
        await call_with_key(client, secret)
        token = await login(client, super_admin)

        body = await graphql(client, KEY_USAGE, {"id": gid(api_key), "days": 2}, token=token)
        metrics = await graphql(client, KEY_METRICS, token=token)

    assert body["data"]["apiKey"]["usage"] == [
        {"date": "2030-03-14", "calls": 1},
        {"date": "2030-03-15", "calls": 1},
    ]
    assert metrics["data"]["keyMetrics"]["apiCallsToday"] == 1


@pytest.mark.parametrize("days", [1, 90])
async def test_usage_accepts_one_to_ninety_days(
    client: AsyncClient, super_admin: User, days: int
) -> None:
    api_key, _ = await make_api_key(super_admin)
    token = await login(client, super_admin)

    body = await graphql(client, KEY_USAGE, {"id": gid(api_key), "days": days}, token=token)

    usage = body["data"]["apiKey"]["usage"]
    assert len(usage) == days
    assert usage[-1]["date"] == datetime.now(UTC).date().isoformat()
    assert {entry["calls"] for entry in usage} == {0}


async def test_usage_defaults_to_thirty_days(client: AsyncClient, super_admin: User) -> None:
    api_key, _ = await make_api_key(super_admin)
    token = await login(client, super_admin)

    body = await graphql(
        client,
        "query KeyUsage($id: ID!) { apiKey(id: $id) { usage { date } } }",
        {"id": gid(api_key)},
        token=token,
    )

    assert len(body["data"]["apiKey"]["usage"]) == 30


@pytest.mark.parametrize("days", [0, 91, -1])
async def test_usage_refuses_days_out_of_range(
    client: AsyncClient, super_admin: User, days: int
) -> None:
    api_key, _ = await make_api_key(super_admin)
    token = await login(client, super_admin)

    body = await graphql(client, KEY_USAGE, {"id": gid(api_key), "days": days}, token=token)

    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_key_metrics_count_keys_by_status_and_todays_calls(
    client: AsyncClient, super_admin: User
) -> None:
    admin = await make_user(roles=(Role.ADMIN,))
    with time_machine.travel(NOW - timedelta(days=1), tick=False) as traveller:
        _, yesterdays_secret = await make_api_key(admin, name="active, used yesterday")
        await call_with_key(client, yesterdays_secret, times=4)
        _, secret = await make_api_key(super_admin, name="active, used today")
        await make_api_key(admin, name="expiring", expires_at=NOW - timedelta(hours=1))
        revoked, revoked_secret = await make_api_key(admin, name="revoked")
        await call_with_key(client, revoked_secret)
        revoked_and_expired, _ = await make_api_key(
            super_admin, name="revoked and expired", expires_at=NOW - timedelta(hours=1)
        )
        traveller.move_to(NOW)
        token = await login(client, super_admin)
        for key in (revoked, revoked_and_expired):
            await graphql(client, REVOKE_KEY, {"id": gid(key)}, token=token)
        await call_with_key(client, secret, times=2)
        await call_with_key(client, yesterdays_secret)

        body = await graphql(client, KEY_METRICS, token=token)

    assert body["data"]["keyMetrics"] == {
        "totalKeys": 5,
        "activeKeys": 2,
        "expiredKeys": 1,
        "revokedKeys": 2,
        "apiCallsToday": 3,
    }


async def test_deleting_a_key_deletes_its_usage_but_api_calls_today_keeps_its_calls(
    client: AsyncClient, super_admin: User
) -> None:
    with time_machine.travel(NOW, tick=False):
        token = await login(client, super_admin)
        deleted, deleted_secret = await make_api_key(super_admin)
        kept, kept_secret = await make_api_key(super_admin)
        await call_with_key(client, deleted_secret, times=3)
        await call_with_key(client, kept_secret, times=2)

        gone = await graphql(
            client,
            "mutation($id: ID!) { deleteApiKey(id: $id) }",
            {"id": gid(deleted)},
            token=token,
        )
        metrics = await graphql(client, KEY_METRICS, token=token)

    assert "errors" not in gone
    assert await calls_per_day(deleted) == {}
    assert await calls_per_day(kept) == {TODAY: 2}
    # The day's total is of calls made, whichever key made them.
    assert metrics["data"]["keyMetrics"]["apiCallsToday"] == 5
