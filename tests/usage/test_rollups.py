"""Roll-ups: a key's named operations and refused calls summed by hour, day and month, by
operation and by outcome; refusals never in totalCalls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from httpx import AsyncClient

from auth.runtime import current
from models import ApiKey, ApiKeyUsageRollup, Role, Scope, User
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient

NOW = datetime(2030, 3, 14, 15, 30, tzinfo=UTC)

ME = "query WhoAmI { me { id } }"
ANONYMOUS_ME = "{ me { id } }"
CREATE_KEY = """
mutation MakeKey { createApiKey(input: {name: "x", scopes: [READ]}) { apiKey { id } } }
"""
KEY_SERIES = """
query Series($id: ID!, $from: DateTime!, $to: DateTime!, $granularity: UsageGranularity!,
             $groupBy: [UsageDimension!]) {
  apiKey(id: $id) {
    totalCalls
    usageSeries(from: $from, to: $to, granularity: $granularity, groupBy: $groupBy) {
      start operation outcome calls
    }
  }
}
"""
ALL_SERIES = """
query AllSeries($from: DateTime!, $to: DateTime!, $granularity: UsageGranularity!,
                $groupBy: [UsageDimension!]) {
  usageSeries(from: $from, to: $to, granularity: $granularity, groupBy: $groupBy) {
    start operation outcome calls
  }
}
"""
TOP_KEYS = """
query Top($from: DateTime!, $to: DateTime!, $first: Int) {
  topKeys(from: $from, to: $to, first: $first) { apiKey { id name } calls errors }
}
"""


def key_headers(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


async def key_series(
    gql: GraphQLClient, token: str, key_id: str, granularity: str, group_by: list[str], **span: Any
) -> tuple[int, list[dict[str, Any]]]:
    variables = {
        "id": key_id,
        "from": span.get("start", NOW - timedelta(days=2)).isoformat(),
        "to": span.get("end", NOW + timedelta(days=1)).isoformat(),
        "granularity": granularity,
        "groupBy": group_by,
    }
    result = await gql.execute(KEY_SERIES, variables, token=token)
    assert result.ok, result.body
    key = result.data["apiKey"]
    return key["totalCalls"], [bucket for bucket in key["usageSeries"] if bucket["calls"]]


def at(moment: datetime) -> str:
    return moment.isoformat()


async def test_named_operations_and_outcomes_are_summed_by_hour_day_and_month(
    gql: GraphQLClient, super_admin: User
) -> None:
    api_key, secret = await make_api_key(super_admin, scopes=(Scope.READ,))
    with time_machine.travel(NOW, tick=False) as traveller:
        token = await gql.login(super_admin)
        for _ in range(3):
            assert (await gql.execute(ME, headers=key_headers(secret))).ok
        assert (await gql.execute(ANONYMOUS_ME, headers=key_headers(secret))).ok
        # A READ key cannot create keys: the call is counted, filed under FORBIDDEN.
        refused = await gql.execute(CREATE_KEY, headers=key_headers(secret))
        assert refused.codes == ["FORBIDDEN"]
        traveller.shift(timedelta(hours=1))
        assert (await gql.execute(ME, headers=key_headers(secret))).ok

        total, hours = await key_series(gql, token, gid(api_key), "HOUR", ["OPERATION", "OUTCOME"])
        assert total == 6
        assert hours == [
            {
                "start": at(NOW.replace(minute=0)),
                "operation": "(anonymous)",
                "outcome": "OK",
                "calls": 1,
            },
            {
                "start": at(NOW.replace(minute=0)),
                "operation": "MakeKey",
                "outcome": "FORBIDDEN",
                "calls": 1,
            },
            {
                "start": at(NOW.replace(minute=0)),
                "operation": "WhoAmI",
                "outcome": "OK",
                "calls": 3,
            },
            {
                "start": at(NOW.replace(minute=0) + timedelta(hours=1)),
                "operation": "WhoAmI",
                "outcome": "OK",
                "calls": 1,
            },
        ]
        _, days = await key_series(gql, token, gid(api_key), "DAY", ["OUTCOME"])
        assert days == [
            {
                "start": at(datetime(2030, 3, 14, tzinfo=UTC)),
                "operation": None,
                "outcome": "FORBIDDEN",
                "calls": 1,
            },
            {
                "start": at(datetime(2030, 3, 14, tzinfo=UTC)),
                "operation": None,
                "outcome": "OK",
                "calls": 5,
            },
        ]
        _, months = await key_series(
            gql, token, gid(api_key), "MONTH", [], start=datetime(2030, 1, 1, tzinfo=UTC)
        )
        assert months == [
            {
                "start": at(datetime(2030, 3, 1, tzinfo=UTC)),
                "operation": None,
                "outcome": None,
                "calls": 6,
            }
        ]


async def test_refused_calls_are_counted_by_outcome_but_not_in_total_calls(
    gql: GraphQLClient, super_admin: User
) -> None:
    api_key, secret = await make_api_key(super_admin)
    await ApiKey.filter(id=api_key.id).update(rate_limit_per_minute=1)
    with time_machine.travel(NOW, tick=False):
        token = await gql.login(super_admin)
        assert (await gql.execute(ME, headers=key_headers(secret))).ok
        limited = await gql.http.post("/graphql", json={"query": ME}, headers=key_headers(secret))
        assert limited.status_code == 429
        total, hours = await key_series(gql, token, gid(api_key), "HOUR", ["OUTCOME"])
    assert total == 1
    assert [(bucket["outcome"], bucket["calls"]) for bucket in hours] == [
        ("OK", 1),
        ("RATE_LIMITED", 1),
    ]


async def test_a_call_from_a_blocked_address_is_counted_as_forbidden(
    gql: GraphQLClient, super_admin: User
) -> None:
    api_key, secret = await make_api_key(super_admin)
    await ApiKey.filter(id=api_key.id).update(allowed_cidrs_encoded="203.0.113.0/24")
    with time_machine.travel(NOW, tick=False):
        token = await gql.login(super_admin)
        blocked = await gql.http.post("/graphql", json={"query": ME}, headers=key_headers(secret))
        assert blocked.status_code == 403
        total, hours = await key_series(gql, token, gid(api_key), "HOUR", ["OPERATION", "OUTCOME"])
    assert total == 0
    assert [(b["operation"], b["outcome"], b["calls"]) for b in hours] == [
        ("WhoAmI", "FORBIDDEN", 1)
    ]


async def test_a_revoked_key_is_counted_as_unauthenticated(
    gql: GraphQLClient, super_admin: User
) -> None:
    api_key, secret = await make_api_key(super_admin)
    api_key.revoked_at = NOW - timedelta(days=1)
    await api_key.save(update_fields=["revoked_at"])
    with time_machine.travel(NOW, tick=False):
        token = await gql.login(super_admin)
        assert (await gql.execute(ME, headers=key_headers(secret))).codes == ["UNAUTHENTICATED"]
        total, hours = await key_series(gql, token, gid(api_key), "DAY", ["OUTCOME"])
    assert (total, [(b["outcome"], b["calls"]) for b in hours]) == (0, [("UNAUTHENTICATED", 1)])


async def test_every_keys_series_and_top_keys(gql: GraphQLClient, super_admin: User) -> None:
    busy, busy_secret = await make_api_key(super_admin, name="busy")
    quiet, quiet_secret = await make_api_key(super_admin, name="quiet")
    with time_machine.travel(NOW, tick=False):
        token = await gql.login(super_admin)
        for _ in range(4):
            await gql.execute(ME, headers=key_headers(busy_secret))
        await gql.execute(CREATE_KEY, headers=key_headers(busy_secret))
        await gql.execute(ME, headers=key_headers(quiet_secret))
        span = {"from": at(NOW - timedelta(hours=1)), "to": at(NOW + timedelta(hours=1))}
        every = await gql.execute(ALL_SERIES, {**span, "granularity": "HOUR"}, token=token)
        top = await gql.execute(TOP_KEYS, {**span, "first": 5}, token=token)
    assert every.ok, every.body
    assert [(b["start"], b["calls"]) for b in every.data["usageSeries"]] == [
        (at(NOW.replace(minute=0) - timedelta(hours=1)), 0),
        (at(NOW.replace(minute=0)), 6),
        (at(NOW.replace(minute=0) + timedelta(hours=1)), 0),
    ]
    assert top.data["topKeys"] == [
        {"apiKey": {"id": gid(busy), "name": "busy"}, "calls": 5, "errors": 1},
        {"apiKey": {"id": gid(quiet), "name": "quiet"}, "calls": 1, "errors": 0},
    ]


async def test_group_commit_writes_concurrent_calls_into_one_set_of_rows(db: None) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    api_key, _ = await make_api_key(owner)
    calls = current().calls
    await asyncio.gather(
        *(calls.record(api_key.id, NOW, operation="Burst") for _ in range(25)),
        *(
            calls.record_refusal(api_key.id, NOW, operation="Burst", outcome="RATE_LIMITED")
            for _ in range(5)
        ),
    )
    rows = (
        await ApiKeyUsageRollup.filter(api_key_id=api_key.id)
        .order_by("granularity", "outcome")
        .values_list("granularity", "outcome", "calls")
    )
    assert rows == [
        ("DAY", "OK", 25),
        ("DAY", "RATE_LIMITED", 5),
        ("HOUR", "OK", 25),
        ("HOUR", "RATE_LIMITED", 5),
        ("MONTH", "OK", 25),
        ("MONTH", "RATE_LIMITED", 5),
    ]
    await api_key.refresh_from_db()
    assert api_key.total_calls == 25


async def test_ranges_are_checked(gql: GraphQLClient, super_admin: User) -> None:
    token = await gql.login(super_admin)
    backwards = await gql.execute(
        ALL_SERIES, {"from": at(NOW), "to": at(NOW), "granularity": "DAY"}, token=token
    )
    assert backwards.codes == ["BAD_USER_INPUT"]
    assert backwards.errors[0]["extensions"]["reason"] == "INVALID_RANGE"
    too_long = await gql.execute(
        ALL_SERIES,
        {"from": at(NOW - timedelta(days=400)), "to": at(NOW), "granularity": "HOUR"},
        token=token,
    )
    assert too_long.codes == ["BAD_USER_INPUT"]
    # Counted in the query cost before it runs, or refused by the field: never answered.
    assert too_long.data is None
    top = await gql.execute(
        TOP_KEYS, {"from": at(NOW - timedelta(days=1)), "to": at(NOW), "first": 0}, token=token
    )
    assert top.codes == ["BAD_USER_INPUT"]


async def test_verifications_are_filed_under_their_operation_and_code(
    client: AsyncClient, super_admin: User
) -> None:
    root_owner = await make_user(roles=(Role.ADMIN,))
    _, root_secret = await make_api_key(root_owner, scopes=(Scope.VERIFY,), name="root")
    verified, secret = await make_api_key(super_admin)
    await ApiKey.filter(id=verified.id).update(allowed_cidrs_encoded="203.0.113.0/24")
    with time_machine.travel(NOW, tick=False):
        for address in ("203.0.113.9", "198.51.100.1"):
            response = await client.post(
                "/v1/keys/verify",
                json={"key": secret, "operation": "charge", "clientAddress": address},
                headers={"Authorization": f"Bearer {root_secret}"},
            )
            assert response.status_code == 200, response.text
        token = await GraphQLClient(client).login(super_admin)
        total, hours = await key_series(
            GraphQLClient(client), token, gid(verified), "HOUR", ["OPERATION", "OUTCOME"]
        )
    assert total == 1
    assert [(b["operation"], b["outcome"], b["calls"]) for b in hours] == [
        ("charge", "IP_BLOCKED", 1),
        ("charge", "VALID", 1),
    ]


async def test_an_operation_name_that_is_no_graphql_name_is_filed_as_anonymous(
    gql: GraphQLClient, super_admin: User
) -> None:
    api_key, secret = await make_api_key(super_admin)
    with time_machine.travel(NOW, tick=False):
        token = await gql.login(super_admin)
        for name in ('=HYPERLINK("http://evil.example")', "Mine"):
            response = await gql.http.post(
                "/graphql",
                json={"query": "query Mine { me { id } }", "operationName": name},
                headers=key_headers(secret),
            )
            # An unknown operation is a request error: 400 (GraphQL over HTTP).
            assert response.status_code == (200 if name == "Mine" else 400)
        _, hours = await key_series(gql, token, gid(api_key), "HOUR", ["OPERATION", "OUTCOME"])
    assert [(b["operation"], b["outcome"], b["calls"]) for b in hours] == [
        ("(anonymous)", "BAD_USER_INPUT", 1),
        ("Mine", "OK", 1),
    ]
