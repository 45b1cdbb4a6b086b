"""The plain-request path of /graphql (gatehouse.graphql_endpoint): which requests it takes,
which it leaves to Strawberry's view, and the headers every answer gets on the way out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from gatehouse.app import create_app
from gatehouse.graphql_endpoint import serves, straight_to
from gatehouse.security_headers import ALWAYS, HTML_POLICY, UNLESS_SET, add_security_headers
from tests.support.database import SETTINGS


def _request(method: str, query_string: str = "", **headers: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": method,
            "path": "/graphql",
            "query_string": query_string.encode(),
            "headers": [
                (name.replace("_", "-").encode(), v.encode()) for name, v in headers.items()
            ],
        }
    )


@pytest.mark.parametrize(
    ("request_", "plain"),
    [
        (_request("POST", content_type="application/json"), True),
        (_request("GET", "query=%7B__typename%7D", accept="*/*"), True),
        (_request("GET", "documentId=abc"), True),
        # GraphiQL's page (or, in production, a 404): the view's.
        (_request("GET", accept="text/html"), False),
        (_request("GET", "documentId=abc", accept="*/*"), False),
        # An event stream: subscriptions over SSE, the view's.
        (_request("POST", accept="text/event-stream"), False),
        (_request("GET", "query=x", accept="application/json, Text/Event-Stream;q=0.9"), False),
        # Other methods are refused by the view, after the credential is looked at.
        (_request("PUT"), False),
        (_request("DELETE"), False),
    ],
)
def test_plain_requests_take_the_lean_path(request_: Request, plain: bool) -> None:
    assert serves(request_) is plain


async def test_only_http_requests_for_the_path_go_straight_to_the_endpoint() -> None:
    reached: list[str] = []

    def app_named(name: str) -> object:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            reached.append(name)

        return app

    route = straight_to(app_named("router"), path="/graphql", endpoint=app_named("endpoint"))  # type: ignore[arg-type]

    async def nothing() -> Message:
        return {}

    async def ignore(_: Message) -> None:
        return None

    for scope in (
        {"type": "http", "path": "/graphql"},
        {"type": "http", "path": "/graphql/"},
        {"type": "http", "path": "/api/graphql", "root_path": "/api"},
        {"type": "websocket", "path": "/graphql"},
        {"type": "http", "path": "/healthz"},
    ):
        await route(scope, nothing, ignore)

    assert reached == ["endpoint", "router", "router", "router", "router"]


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-type", b"application/json"), (b"content-length", b"2")],
        [(b"content-type", b"text/html; charset=utf-8")],
        [(b"content-type", b"text/html"), (b"content-security-policy", b"default-src 'self'")],
        [(b"cache-control", b"no-cache"), (b"content-type", b"text/css")],
        [(b"x-frame-options", b"SAMEORIGIN"), (b"x-frame-options", b"DENY")],
        [],
    ],
)
def test_security_headers_are_those_of_a_header_by_header_update(
    headers: list[tuple[bytes, bytes]],
) -> None:
    fast: Message = {"type": "http.response.start", "status": 200, "headers": list(headers)}
    add_security_headers(fast)

    expected: Message = {"type": "http.response.start", "status": 200, "headers": list(headers)}
    updated = MutableHeaders(scope=expected)
    for name, value in ALWAYS.items():
        updated[name] = value
    for name, value in UNLESS_SET.items():
        updated.setdefault(name, value)
    if updated.get("content-type", "").startswith("text/html"):
        updated.setdefault("Content-Security-Policy", HTML_POLICY)

    assert fast["headers"] == expected["headers"]


@pytest.fixture
async def bare_client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SETTINGS, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_a_refusal_on_the_lean_path_is_answered_with_its_headers(
    bare_client: httpx.AsyncClient,
) -> None:
    response = await bare_client.post(
        "/graphql",
        content=b"[]",
        headers={
            "content-type": "application/json",
            "accept": "application/graphql-response+json",
            "x-request-id": "lean-1",
        },
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/graphql-response+json"
    assert response.headers["x-request-id"] == "lean-1"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
