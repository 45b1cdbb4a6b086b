"""Clients of a live server's subscriptions: graphql-transport-ws with the `websockets`
library, and GraphQL over SSE with httpx's streaming."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

TRANSPORT_WS = Subprotocol("graphql-transport-ws")
LEGACY_WS = Subprotocol("graphql-ws")

KEY_METRICS = "subscription KeyMetricsLive { keyMetrics { totalKeys activeKeys apiCallsToday } }"
API_KEY = "subscription ApiKeyLive($id: ID!) { apiKey(id: $id) { id name status totalCalls } }"
AUDIT_EVENTS = "subscription AuditLive { auditEvents { id action outcome } }"
ME = "query Me { me { id } }"
CALL = "query Call { currentApiKey { totalCalls } }"
REVOKE_KEY = "mutation RevokeKey($id: ID!) { revokeKey(id: $id) { id } }"
CREATE_KEY = """mutation CreateKey($name: String!, $scopes: [Scope!]!) {
  createApiKey(input: {name: $name, scopes: $scopes}) { secret apiKey { id } }
}"""
CREATE_USER = """mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) { id }
}"""
LOGIN = "mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://", 1) + "/graphql"


@dataclass
class Closed:
    code: int | None
    reason: str


class Socket:
    """One graphql-transport-ws connection; answers the server's pings by itself."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any] | Closed:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(
        self, operation_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def receive(self, seconds: float = 5.0) -> dict[str, Any] | Closed:
        """The next message other than a ping, or how the connection closed."""
        try:
            async with asyncio.timeout(seconds):
                while True:
                    raw = await self.connection.recv()
                    # Text frames, as the protocol says: browsers' clients read no others.
                    assert isinstance(raw, str), raw
                    message: dict[str, Any] = json.loads(raw)
                    if message.get("type") == "ping":
                        await self.send({"type": "pong"})
                        continue
                    return message
        except ConnectionClosed as closed:
            frame = closed.rcvd
            if frame is None:
                return Closed(None, "")
            return Closed(frame.code, frame.reason)

    async def next_payload(self, operation_id: str, seconds: float = 5.0) -> dict[str, Any]:
        message = await self.receive(seconds)
        assert isinstance(message, dict), message
        assert message.get("id") == operation_id, message
        assert message["type"] == "next", message
        payload: dict[str, Any] = message["payload"]
        return payload

    async def refusal_code(self, operation_id: str, seconds: float = 5.0) -> str:
        """The code of the error that refused or ended the operation: an `error` message
        (refused before it started) or a `next` carrying errors (ended while running)."""
        message = await self.receive(seconds)
        assert isinstance(message, dict), message
        assert message.get("id") == operation_id, message
        assert message["type"] in ("error", "next"), message
        payload = message["payload"]
        errors = payload if message["type"] == "error" else payload["errors"]
        return str(errors[0]["extensions"]["code"])


@asynccontextmanager
async def socket(
    base: str,
    subprotocols: tuple[Subprotocol, ...] = (TRANSPORT_WS,),
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Socket]:
    async with connect(
        ws_url(base), subprotocols=list(subprotocols), additional_headers=headers
    ) as connection:
        yield Socket(connection)


@asynccontextmanager
async def subscribed(
    base: str, credential: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[Socket]:
    """A connection authenticated by `credential` with one subscription `"1"` started."""
    async with socket(base) as connection:
        ack = await connection.init({"Authorization": f"Bearer {credential}"})
        assert isinstance(ack, dict), ack
        assert ack["type"] == "connection_ack", ack
        await connection.subscribe("1", query, variables)
        yield connection


async def sse_events(
    client: httpx.AsyncClient,
    base: str,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[tuple[str, Any]]:
    """The events of one GraphQL-over-SSE stream: (`next`, payload) and (`complete`, None)."""
    async with client.stream(
        "POST",
        f"{base}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Accept": "text/event-stream", **(headers or {})},
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event:
                data = line.removeprefix("data:").strip()
                yield event, json.loads(data) if data else None
                event = ""


def graphql(
    base: str, query: str, variables: dict[str, Any] | None = None, /, **headers: str
) -> Any:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}
