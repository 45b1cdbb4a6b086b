"""Security headers on every answer, mutations only as JSON over POST, and JSON bodies
nested too deeply refused as bad input rather than failing the server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from httpx import AsyncClient

from gatehouse.app import create_app
from gatehouse.json_depth import MAX_JSON_DEPTH, json_depth, nests_deeper_than
from models import User
from tests.support.database import SETTINGS
from tests.support.documents import CREATE_USER, LOGIN_TOKEN
from tests.support.factories import PASSWORD, gid
from tests.support.graphql import error_codes, login

EVERY_ANSWER = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}


@pytest.fixture
async def bare_client() -> AsyncIterator[AsyncClient]:
    """The app without a database: for answers given before any query runs."""
    app = create_app(SETTINGS, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in EVERY_ANSWER.items():
        assert response.headers.get(name) == value, (name, response.headers)


# --- headers --------------------------------------------------------------------------


async def test_a_login_answer_carrying_a_token_is_never_stored(
    client: AsyncClient, super_admin: User
) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": LOGIN_TOKEN,
            "variables": {"email": super_admin.email, "password": PASSWORD},
        },
    )

    assert "token" in response.json()["data"]["login"]
    assert_security_headers(response)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        pytest.param("POST", "/graphql", {"json": {"query": "{ __typename }"}}, id="query"),
        pytest.param("POST", "/graphql", {"json": {"query": "{ me { id } }"}}, id="refused"),
        pytest.param("POST", "/graphql", {"content": b"{nope"}, id="not-json"),
        pytest.param("PUT", "/graphql", {}, id="wrong-method"),
        pytest.param("POST", "/graphql", {"content": b"x" * (1024 * 1024 + 1)}, id="too-large"),
        pytest.param("GET", "/healthz", {}, id="healthz"),
        pytest.param("GET", "/readyz", {}, id="readyz-unavailable"),
        pytest.param("GET", "/nowhere", {}, id="not-found"),
    ],
)
async def test_every_answer_carries_the_security_headers(
    bare_client: AsyncClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = await bare_client.request(method, path, **kwargs)

    assert_security_headers(response)


async def test_readyz_with_a_database_carries_the_security_headers(client: AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert_security_headers(response)


async def test_the_graphiql_page_cannot_be_framed(bare_client: AsyncClient) -> None:
    response = await bare_client.get("/graphql", headers={"Accept": "text/html"})

    assert response.headers["content-type"].startswith("text/html")
    assert_security_headers(response)
    # The page may set a fuller policy of its own; framing is refused either way.
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


# --- mutations only as JSON over POST -------------------------------------------------


async def test_a_mutation_over_get_is_refused_and_changes_nothing(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    response = await client.get(
        "/graphql",
        params={"query": "mutation { logout }"},
        headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 405  # GraphQL over HTTP: a mutation needs POST
    assert response.headers["allow"] == "POST"
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    assert_security_headers(response)
    me = await client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert me.json()["data"]["me"]["id"] == gid(super_admin)


@pytest.mark.parametrize(
    ("content_type", "encode"),
    [
        pytest.param(
            "application/x-www-form-urlencoded",
            lambda body: urlencode(
                {"query": body["query"], "variables": json.dumps(body["variables"])}
            ).encode(),
            id="form",
        ),
        pytest.param("text/plain", lambda body: json.dumps(body).encode(), id="text-plain"),
        pytest.param(
            "multipart/form-data; boundary=x",
            lambda body: (
                b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
                + json.dumps(body).encode()
                + b"\r\n--x--\r\n"
            ),
            id="multipart",
        ),
    ],
)
async def test_a_mutation_in_another_content_type_is_refused_and_changes_nothing(
    client: AsyncClient,
    super_admin: User,
    content_type: str,
    encode: Callable[[dict[str, Any]], bytes],
) -> None:
    token = await login(client, super_admin)
    body = {
        "query": CREATE_USER,
        "variables": {
            "input": {
                "email": "smuggled@example.com",
                "displayName": "Smuggled",
                "password": PASSWORD,
                "roles": ["SUPER_ADMIN"],
            }
        },
    }

    response = await client.post(
        "/graphql",
        content=encode(body),
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    assert not await User.exists(email="smuggled@example.com")


# --- JSON nesting ---------------------------------------------------------------------


def nested_body(depth: int) -> bytes:
    variables = '{"a": ' + "[" * depth + "]" * depth + "}"
    return ('{"query": "{ __typename }", "variables": ' + variables + "}").encode()


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 10_000, 500_000])
async def test_json_nested_too_deeply_is_bad_user_input_with_http_400(
    bare_client: AsyncClient, depth: int
) -> None:
    response = await bare_client.post(
        "/graphql", content=nested_body(depth), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    body = response.json()
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert str(MAX_JSON_DEPTH) in body["errors"][0]["message"]


@pytest.mark.parametrize("body", [b'"x"', b"1", b"null", b"true"])
async def test_a_json_body_that_is_not_an_object_is_bad_user_input_with_http_400(
    bare_client: AsyncClient, body: bytes
) -> None:
    response = await bare_client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


async def test_json_nested_up_to_the_limit_is_served(bare_client: AsyncClient) -> None:
    # The body itself and `variables` take two levels.
    response = await bare_client.post(
        "/graphql",
        content=nested_body(MAX_JSON_DEPTH - 2),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("document", "depth"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param('"[[["', 0, id="brackets-in-a-string"),
        pytest.param('{"a": "\\"[[", "b": [1, {"c": []}]}', 4, id="escaped-quote"),
        pytest.param('{"a": "\\\\", "b": [[]]}', 3, id="escaped-backslash"),
        pytest.param('[{"k": "]]]}}}"}, [[["x"]]]]', 4, id="closing-in-a-string"),
    ],
)
def test_json_depth_ignores_brackets_inside_strings(document: str, depth: int) -> None:
    assert json_depth(document) == depth
    assert json_depth(document.encode()) == depth
    assert nests_deeper_than(document, depth) is False
    assert nests_deeper_than(document, depth - 1) is (depth > 0)
