"""Subscriptions over GraphQL over SSE (graphql-sse's distinct connections mode) against a
live server, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.subscriptions.conftest import Live
from tests.support.subscriptions import (
    API_KEY,
    CALL,
    CREATE_KEY,
    KEY_METRICS,
    ME,
    REVOKE_KEY,
    bearer,
    graphql,
    sse_events,
)


def new_key(live: Live) -> tuple[str, str]:
    data = graphql(
        live.base,
        CREATE_KEY,
        {"name": f"sse {uuid.uuid4().hex[:8]}", "scopes": ["READ"]},
        **bearer(live.token),
    )
    return data["createApiKey"]["secret"], data["createApiKey"]["apiKey"]["id"]


async def test_key_metrics_arrive_at_once_then_after_a_call_within_two_seconds(live: Live) -> None:
    secret, _ = new_key(live)
    received: list[dict[str, int]] = []
    called_at = 0.0
    async with httpx.AsyncClient(timeout=10) as client:
        async for event, payload in sse_events(
            client, live.base, KEY_METRICS, headers=bearer(live.token)
        ):
            assert event == "next"
            received.append(payload["data"]["keyMetrics"])
            if len(received) == 1:
                called_at = time.monotonic()
                graphql(live.base, CALL, **bearer(secret))
            else:
                break
    assert time.monotonic() - called_at < 2
    assert received[1]["apiCallsToday"] == received[0]["apiCallsToday"] + 1


async def test_a_revoked_key_ends_its_event_stream(live: Live) -> None:
    secret, key_id = new_key(live)
    events: list[tuple[str, object]] = []
    async with httpx.AsyncClient(timeout=10) as client:
        async for event, payload in sse_events(
            client, live.base, API_KEY, {"id": key_id}, headers=bearer(secret)
        ):
            events.append((event, payload))
            if len(events) == 1:
                graphql(live.base, REVOKE_KEY, {"id": key_id}, **bearer(live.token))
    assert events[0][0] == "next"
    assert events[1][0] == "next"
    ended = events[1][1]
    assert isinstance(ended, dict)
    assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert events[-1] == ("complete", None)


async def test_an_event_stream_without_a_credential_is_refused_with_401(live: Live) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{live.base}/graphql",
            json={"query": KEY_METRICS},
            headers={"Accept": "text/event-stream"},
        )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_query_over_sse_is_refused(live: Live) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        events = [
            item async for item in sse_events(client, live.base, ME, headers=bearer(live.token))
        ]
    assert events[0][0] == "next"
    payload = events[0][1]
    assert isinstance(payload, dict)
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert events[-1] == ("complete", None)


async def test_a_subscription_as_one_plain_http_answer_is_refused(live: Live) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{live.base}/graphql", json={"query": KEY_METRICS}, headers=bearer(live.token)
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
