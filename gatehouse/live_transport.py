"""Subscriptions' two transports on /graphql: graphql-transport-ws over a WebSocket, and
GraphQL over Server-Sent Events (graphql-sse's distinct connections mode: a POST or GET
with `Accept: text/event-stream`).

Never the legacy `graphql-ws` subprotocol: Strawberry's handler of it let a client
subscribe without its connection being authenticated (CVE-2026-35523). A handshake that
offers only that subprotocol is accepted and closed at once with 4406, as Strawberry does
for any subprotocol it does not speak.

Both transports carry subscriptions only: queries and mutations stay on plain HTTP, where
the deadline, the request log and the body limits are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any, cast

from cross_web import HTTPException
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.streaming import SSETransport
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.graphql import OperationType

from auth.credentials import authenticate
from auth.principal import Principal
from core.errors import ErrorCode, GatehouseError
from gatehouse.trusted_documents import TrustedDocuments, persisted_query_hash

log = logging.getLogger("gatehouse.subscriptions")

SUBSCRIPTION_PROTOCOLS = (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL)
# A server ping on an otherwise quiet socket, so that proxies keep it open.
KEEP_ALIVE_SECONDS = 15.0
SSE_HEARTBEAT_SECONDS = 15.0
ONLY_SUBSCRIPTIONS = (OperationType.SUBSCRIPTION,)
SUBSCRIPTIONS_NEED_A_STREAM = (
    "Subscriptions run over a WebSocket (graphql-transport-ws) or as an event stream "
    "(Accept: text/event-stream), not as one HTTP answer."
)


class SubscriptionsOverSSE(SSETransport):
    def __init__(self, heartbeat_interval: float = SSE_HEARTBEAT_SECONDS) -> None:
        super().__init__(heartbeat_interval)

    def allowed_operation_types(
        self, allowed_operation_types: set[OperationType]
    ) -> Iterable[OperationType]:
        return ONLY_SUBSCRIPTIONS


def connection_headers(
    payload: Mapping[str, object] | None, headers: Mapping[str, str]
) -> dict[str, str]:
    """The credential of `connection_init`'s payload (`Authorization`, or `X-API-Key`,
    any case) where it has one, else the handshake's headers."""
    found: dict[str, str] = {}
    for name, value in (payload or {}).items():
        if name.lower() in ("authorization", "x-api-key") and isinstance(value, str):
            found[name.lower()] = value
    if found:
        return found
    return {
        name: value
        for name in ("authorization", "x-api-key")
        if (value := headers.get(name)) is not None
    }


async def authenticate_connection(context: Any) -> None:
    """`on_ws_connect`: the connection's caller, or the close Strawberry makes of a
    rejection (4403 Forbidden)."""
    websocket = context.request
    address = websocket.client.host if websocket.client else None
    headers = connection_headers(context.connection_params, websocket.headers)
    try:
        actor = await authenticate(headers, address, context.runtime)
    except GatehouseError as refusal:  # an address outside the key's list, a rate limit
        raise ConnectionRejectionError from refusal
    if not isinstance(actor, Principal):
        raise ConnectionRejectionError
    context.actor = actor


class TextFrames(ASGIWebSocketAdapter):
    """Messages as text frames, as graphql-transport-ws asks: the view encodes JSON to
    bytes (orjson), which Strawberry's adapter would send as binary frames that browser
    clients do not read."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class _SubscriptionsOnly:
    """The schema as the WebSocket handler sees it: `stream` runs subscriptions only."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def stream(self, query: str | None, **kwargs: Any) -> Any:
        kwargs["allowed_operation_types"] = ONLY_SUBSCRIPTIONS
        return await self._schema.stream(query, **kwargs)


class GatehouseTransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """Strawberry's handler with: subscriptions only, trusted documents when they are on,
    and a server ping every `KEEP_ALIVE_SECONDS` once the connection is acknowledged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _SubscriptionsOnly(self.schema)  # type: ignore[assignment]
        self._pinger: asyncio.Task[None] | None = None

    @property
    def _trusted_documents(self) -> TrustedDocuments | None:
        return getattr(self.view, "trusted_documents", None)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        trusted = self._trusted_documents
        if trusted is not None and self.connection_acknowledged:
            payload: Any = message.get("payload") or {}
            request = GraphQLRequestData(
                query=payload.get("query"),
                variables=payload.get("variables"),
                operation_name=payload.get("operationName"),
                extensions=payload.get("extensions"),
            )
            document_id = persisted_query_hash(request.extensions) or payload.get("documentId")
            try:
                resolved = trusted.resolve(request, document_id)
            except HTTPException as refusal:
                await self.send_message(
                    {
                        "id": message["id"],
                        "type": "error",
                        "payload": [
                            {
                                "message": refusal.reason,
                                "extensions": {"code": ErrorCode.BAD_USER_INPUT.value},
                            }
                        ],
                    }
                )
                return
            message = cast(
                "SubscribeMessage", {**message, "payload": {**payload, "query": resolved.query}}
            )
        await super().handle_subscribe(message)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self._pinger is None and self.connection_acknowledged:
            self._pinger = asyncio.create_task(self._ping_while_open())

    async def _ping_while_open(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(KEEP_ALIVE_SECONDS)
                await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        await super().shutdown()
