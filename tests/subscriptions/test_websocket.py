"""Subscriptions over graphql-transport-ws against a live server, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from tests.subscriptions.conftest import CAP, METRICS_TOKEN, Live
from tests.support.subscriptions import (
    API_KEY,
    AUDIT_EVENTS,
    CALL,
    CREATE_KEY,
    CREATE_USER,
    KEY_METRICS,
    LEGACY_WS,
    LOGIN,
    ME,
    REVOKE_KEY,
    Closed,
    bearer,
    graphql,
    socket,
    subscribed,
)

PASSWORD = "a long enough password"
LOGOUT = "mutation Logout { logout }"
DELETE_USER = "mutation DeleteUser($id: ID!) { deleteUser(id: $id) }"


def new_key(
    live: Live, scopes: tuple[str, ...] = ("READ",), token: str | None = None
) -> tuple[str, str]:
    data = graphql(
        live.base,
        CREATE_KEY,
        {"name": f"key {uuid.uuid4().hex[:8]}", "scopes": list(scopes)},
        **bearer(token or live.token),
    )
    return data["createApiKey"]["secret"], data["createApiKey"]["apiKey"]["id"]


def new_user(live: Live, role: str) -> tuple[str, str]:
    """A user with `role`, signed in: their id and session token."""
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    data = graphql(
        live.base,
        CREATE_USER,
        {
            "input": {
                "email": email,
                "displayName": "Someone",
                "password": PASSWORD,
                "roles": [role],
            }
        },
        **bearer(live.token),
    )
    token = graphql(live.base, LOGIN, {"e": email, "p": PASSWORD})["login"]["token"]
    return data["createUser"]["id"], token


def error_code(payload: dict[str, Any]) -> str:
    return str(payload["errors"][0]["extensions"]["code"])


async def test_key_metrics_arrive_at_once_then_after_a_call_within_two_seconds(live: Live) -> None:
    secret, _ = new_key(live)
    async with subscribed(live.base, live.token, KEY_METRICS) as connection:
        first = (await connection.next_payload("1"))["data"]["keyMetrics"]
        called_at = time.monotonic()
        graphql(live.base, CALL, **bearer(secret))
        second = (await connection.next_payload("1", seconds=2))["data"]["keyMetrics"]
        assert time.monotonic() - called_at < 2
        assert second["apiCallsToday"] == first["apiCallsToday"] + 1


async def test_api_key_follows_its_calls_and_ends_within_a_second_when_revoked(live: Live) -> None:
    secret, key_id = new_key(live)
    async with subscribed(live.base, secret, API_KEY, {"id": key_id}) as connection:
        first = (await connection.next_payload("1"))["data"]["apiKey"]
        assert first["id"] == key_id
        graphql(live.base, CALL, **bearer(secret))
        second = (await connection.next_payload("1", seconds=2))["data"]["apiKey"]
        assert second["totalCalls"] == first["totalCalls"] + 1
        revoked_at = time.monotonic()
        graphql(live.base, REVOKE_KEY, {"id": key_id}, **bearer(live.token))
        ended = await connection.next_payload("1", seconds=2)
        assert time.monotonic() - revoked_at < 1.5
        assert error_code(ended) == "UNAUTHENTICATED"
        assert ended["errors"][0]["extensions"]["reason"] == "CREDENTIAL_ENDED"
        assert await connection.receive() == {"id": "1", "type": "complete"}
        # The secret is never part of what the subscription sends.
        assert secret not in str(first) + str(second) + str(ended)


async def test_ended_session_ends_its_subscriptions_within_a_second(live: Live) -> None:
    _, token = new_user(live, "ADMIN")
    async with subscribed(live.base, token, KEY_METRICS) as connection:
        await connection.next_payload("1")
        graphql(live.base, LOGOUT, **bearer(token))
        ended = await connection.next_payload("1", seconds=1.5)
        assert error_code(ended) == "UNAUTHENTICATED"


async def test_a_new_password_ends_the_other_sessions_subscriptions(live: Live) -> None:
    _, token = new_user(live, "ADMIN")
    email = graphql(live.base, "query Me { me { email } }", **bearer(token))["me"]["email"]
    other = graphql(live.base, LOGIN, {"e": email, "p": PASSWORD})["login"]["token"]
    async with subscribed(live.base, other, KEY_METRICS) as connection:
        await connection.next_payload("1")
        graphql(
            live.base,
            "mutation Change($c: String!, $n: String!) "
            "{ changePassword(currentPassword: $c, newPassword: $n) }",
            {"c": PASSWORD, "n": "another long enough password"},
            **bearer(token),
        )
        ended = await connection.next_payload("1", seconds=1.5)
        assert error_code(ended) == "UNAUTHENTICATED"


async def test_deactivated_user_ends_their_subscriptions_within_a_second(live: Live) -> None:
    user_id, token = new_user(live, "ADMIN")
    secret, _ = new_key(live, token=token)
    async with (
        subscribed(live.base, token, KEY_METRICS) as by_session,
        subscribed(live.base, secret, KEY_METRICS) as by_key,
    ):
        await by_session.next_payload("1")
        await by_key.next_payload("1")
        graphql(
            live.base,
            "mutation Deactivate($id: ID!) "
            "{ updateUser(id: $id, input: {status: INACTIVE}) { id } }",
            {"id": user_id},
            **bearer(live.token),
        )
        for connection in (by_session, by_key):
            assert error_code(await connection.next_payload("1", seconds=1.5)) == "UNAUTHENTICATED"


async def test_deleted_user_ends_their_subscriptions_within_a_second(live: Live) -> None:
    user_id, token = new_user(live, "READ_ONLY")
    async with subscribed(live.base, token, KEY_METRICS) as connection:
        await connection.next_payload("1")
        graphql(live.base, DELETE_USER, {"id": user_id}, **bearer(live.token))
        ended = await connection.next_payload("1", seconds=1.5)
        assert error_code(ended) == "UNAUTHENTICATED"


async def test_a_deleted_key_is_sent_as_null(live: Live) -> None:
    _, key_id = new_key(live)
    async with subscribed(live.base, live.token, API_KEY, {"id": key_id}) as connection:
        assert (await connection.next_payload("1"))["data"]["apiKey"]["id"] == key_id
        graphql(
            live.base,
            "mutation DeleteApiKey($id: ID!) { deleteApiKey(id: $id) }",
            {"id": key_id},
            **bearer(live.token),
        )
        assert (await connection.next_payload("1", seconds=2))["data"] == {"apiKey": None}


async def test_the_legacy_graphql_ws_subprotocol_is_refused(live: Live) -> None:
    async with socket(live.base, (LEGACY_WS,)) as connection:
        # Not negotiated, and closed before a legacy client could say anything.
        assert connection.connection.subprotocol is None
        closed = await connection.receive()
        assert closed == Closed(4406, "Subprotocol not acceptable")


@pytest.mark.parametrize(
    "payload",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}],
    ids=["none", "unknown", "not-bearer"],
)
async def test_connection_without_a_valid_credential_is_closed_4403(
    live: Live, payload: dict[str, str]
) -> None:
    async with socket(live.base) as connection:
        assert await connection.init(payload) == Closed(4403, "Forbidden")


async def test_subscribing_before_connection_init_is_closed_4401(live: Live) -> None:
    async with socket(live.base) as connection:
        await connection.subscribe("1", KEY_METRICS)
        assert await connection.receive() == Closed(4401, "Unauthorized")


async def test_a_revoked_key_cannot_connect(live: Live) -> None:
    secret, key_id = new_key(live)
    graphql(live.base, REVOKE_KEY, {"id": key_id}, **bearer(live.token))
    async with socket(live.base) as connection:
        assert await connection.init(bearer(secret)) == Closed(4403, "Forbidden")


async def test_the_credential_may_come_in_the_handshake_headers(live: Live) -> None:
    async with socket(live.base, headers=bearer(live.token)) as connection:
        ack = await connection.init()
        assert isinstance(ack, dict)
        assert ack["type"] == "connection_ack"
        await connection.subscribe("1", KEY_METRICS)
        assert "keyMetrics" in (await connection.next_payload("1"))["data"]


async def test_queries_and_mutations_stay_on_http(live: Live) -> None:
    async with socket(live.base) as connection:
        await connection.init(bearer(live.token))
        await connection.subscribe("1", ME)
        assert await connection.refusal_code("1") == "BAD_USER_INPUT"
        await connection.subscribe("2", LOGOUT)
        assert await connection.refusal_code("2") == "BAD_USER_INPUT"
    # The session was not ended by the refused mutation.
    assert graphql(live.base, ME, **bearer(live.token))["me"]["id"]


async def test_a_credential_holds_at_most_the_cap_of_subscriptions(live: Live) -> None:
    secret, _ = new_key(live)
    async with subscribed(live.base, secret, KEY_METRICS) as first:
        await first.next_payload("1")
        async with socket(live.base) as second:
            await second.init(bearer(secret))
            for number in range(2, CAP + 1):
                await second.subscribe(str(number), KEY_METRICS)
                await second.next_payload(str(number))
            await second.subscribe("over", KEY_METRICS)
            refused = await second.next_payload("over")
            assert error_code(refused) == "RATE_LIMITED"
            assert refused["errors"][0]["extensions"]["reason"] == "TOO_MANY_SUBSCRIPTIONS"
            assert await second.receive() == {"id": "over", "type": "complete"}
            # Another credential is not held to this one's count.
            async with subscribed(live.base, live.token, KEY_METRICS) as other:
                assert "keyMetrics" in (await other.next_payload("1"))["data"]
            # One ended, one may start.
            await second.send({"id": "2", "type": "complete"})
            await second.subscribe("again", KEY_METRICS)
            assert "keyMetrics" in (await second.next_payload("again"))["data"]


@pytest.mark.parametrize("role", ["ADMIN", "READ_ONLY"])
async def test_only_super_admins_subscribe_to_audit_events(live: Live, role: str) -> None:
    _, token = new_user(live, role)
    async with subscribed(live.base, token, AUDIT_EVENTS) as connection:
        assert await connection.refusal_code("1") == "FORBIDDEN"
    if role == "READ_ONLY":
        return  # makes no keys
    secret, _ = new_key(live, ("READ",), token=token)
    async with subscribed(live.base, secret, AUDIT_EVENTS) as connection:
        assert await connection.refusal_code("1") == "FORBIDDEN"


async def test_a_key_without_read_scope_cannot_subscribe(live: Live) -> None:
    secret, key_id = new_key(live, ("WRITE",))
    for query, variables in ((KEY_METRICS, {}), (API_KEY, {"id": key_id})):
        async with subscribed(live.base, secret, query, variables) as connection:
            assert await connection.refusal_code("1") == "FORBIDDEN"


async def test_super_admin_sees_each_new_audit_event(live: Live) -> None:
    async with subscribed(live.base, live.token, AUDIT_EVENTS) as connection:
        await connection.next_payload("1")  # the newest event so far
        new_key(live)
        event = (await connection.next_payload("1", seconds=2))["data"]["auditEvents"]
        assert event["action"] == "api_key.create"
        assert event["outcome"] == "OK"


async def test_open_subscriptions_show_in_metrics(live: Live) -> None:
    async with subscribed(live.base, live.token, KEY_METRICS) as connection:
        await connection.next_payload("1")
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{live.base}/metrics", headers=bearer(METRICS_TOKEN))
        assert response.status_code == 200
        lines = response.text.splitlines()
        open_now = [line for line in lines if line.startswith("gatehouse_open_subscriptions ")]
        assert open_now
        assert float(open_now[0].split()[1]) >= 1
        assert any(
            line.startswith('gatehouse_subscription_messages_total{field="keyMetrics"}')
            for line in lines
        )
