import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from tortoise.connection import get_connection

from core.config import Settings
from gatehouse.app import create_app
from models import User
from tests.support.database import SETTINGS
from tests.support.documents import LOGIN_TOKEN, ME_NAMED
from tests.support.factories import PASSWORD
from tests.support.graphql import error_codes, graphql, login

MISSPELT_FIELD = "query Me { mee { id } }"

INTROSPECTION = "{ __schema { types { name } } }"

TYPE_INTROSPECTION = '{ __type(name: "User") { name fields { name } } }'


PRODUCTION = replace(SETTINGS, environment="production")


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[AsyncClient]:
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


# Without `db`: the app with no database behind it, for requests answered before any
# query runs. A request that did reach the database would fail the test.
@pytest.fixture
async def bare_client() -> AsyncIterator[AsyncClient]:
    async with serving(SETTINGS) as client:
        yield client


@pytest.fixture
async def bare_production_client() -> AsyncIterator[AsyncClient]:
    async with serving(PRODUCTION) as client:
        yield client


@pytest.fixture
async def production_client(db: None) -> AsyncIterator[AsyncClient]:
    async with serving(PRODUCTION) as client:
        yield client


async def post_json(client: AsyncClient, query: str, **variables: Any) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables})


# --- probes ---------------------------------------------------------------------------


async def test_healthz_answers_while_the_process_lives(bare_client: AsyncClient) -> None:
    response = await bare_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_while_the_database_does(client: AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_unavailable_without_a_database(bare_client: AsyncClient) -> None:
    response = await bare_client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


# --- documents and bodies that are not GraphQL ----------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"\xff\xfe", b'{"query": '],
    ids=["broken", "empty", "not-utf8", "truncated"],
)
async def test_a_body_that_is_not_json_is_bad_user_input_with_http_400(
    bare_client: AsyncClient, content: bytes
) -> None:
    response = await bare_client.post(
        "/graphql", content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "body",
    [pytest.param({}, id="no-query"), pytest.param([{"query": ME_NAMED}], id="batch")],
)
async def test_a_json_body_without_one_operation_is_bad_user_input(
    bare_client: AsyncClient, body: Any
) -> None:
    response = await bare_client.post("/graphql", json=body)

    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        pytest.param("PUT", {}, 405, id="put"),
        pytest.param("DELETE", {}, 405, id="delete"),
        pytest.param("POST", {"Content-Type": "text/plain"}, 400, id="text-body"),
        pytest.param("GET", {"Accept": "application/json"}, 405, id="mutation-over-get"),
    ],
)
async def test_requests_graphql_cannot_serve_answer_with_a_json_error(
    bare_client: AsyncClient, method: str, headers: dict[str, str], status: int
) -> None:
    response = await bare_client.request(
        method, "/graphql", params={"query": LOGIN_TOKEN}, content=b"x", headers=headers
    )

    assert response.status_code == status
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{ me ", id="unclosed"),
        pytest.param("query { me { id } } }", id="stray-brace"),
        pytest.param("{ " + "me { id } " * 3000 + "}", id="too-many-tokens"),
    ],
)
async def test_a_syntax_error_is_bad_user_input(bare_client: AsyncClient, query: str) -> None:
    response = await post_json(bare_client, query)

    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param(MISSPELT_FIELD, {}, id="unknown-field"),
        pytest.param(
            "query { users(first: 1, offset: 2) { totalCount } }", {}, id="unknown-argument"
        ),
        pytest.param(
            "query ($f: Int) { users(first: $f) { totalCount } }", {"f": "ten"}, id="wrong-type"
        ),
        pytest.param(
            "query { users(filter: {role: KING}) { totalCount } }", {}, id="unknown-enum-value"
        ),
        pytest.param("query ($id: ID!) { user(id: $id) { id } }", {}, id="missing-variable"),
        pytest.param("query { me }", {}, id="missing-selection"),
    ],
)
async def test_a_document_that_does_not_validate_is_bad_user_input(
    bare_client: AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    response = await post_json(bare_client, query, **variables)

    body = response.json()
    assert error_codes(body) == ["BAD_USER_INPUT"] * len(body["errors"])
    assert body["errors"]
    assert body.get("data") is None


# --- development and production -------------------------------------------------------


async def test_graphiql_is_served_in_development(bare_client: AsyncClient) -> None:
    response = await bare_client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_graphiql_is_off_in_production(bare_production_client: AsyncClient) -> None:
    response = await bare_production_client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code != 200
    assert not response.headers["content-type"].startswith("text/html")
    assert "graphiql" not in response.text.lower()


async def test_introspection_works_in_development(bare_client: AsyncClient) -> None:
    response = await post_json(bare_client, INTROSPECTION)

    names = {item["name"] for item in response.json()["data"]["__schema"]["types"]}
    assert {"User", "ApiKey", "Role"} <= names


@pytest.mark.parametrize("query", [INTROSPECTION, TYPE_INTROSPECTION])
async def test_introspection_is_refused_in_production(
    production_client: AsyncClient, super_admin: User, query: str
) -> None:
    token = await login(production_client, super_admin)

    body = await graphql(production_client, query, token=token)

    assert body.get("data") is None
    assert body["errors"]
    assert set(error_codes(body)) == {"BAD_USER_INPUT"}


async def test_field_suggestions_are_given_in_development(bare_client: AsyncClient) -> None:
    response = await post_json(bare_client, MISSPELT_FIELD)

    assert "Did you mean" in response.json()["errors"][0]["message"]


async def test_field_suggestions_are_off_in_production(
    production_client: AsyncClient, super_admin: User
) -> None:
    token = await login(production_client, super_admin)

    response = await production_client.post(
        "/graphql", json={"query": MISSPELT_FIELD}, headers={"Authorization": f"Bearer {token}"}
    )

    body = response.json()
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "Did you mean" not in response.text
    assert "'me'" not in response.text


async def test_production_still_answers_queries(
    production_client: AsyncClient, super_admin: User
) -> None:
    token = await login(production_client, super_admin)

    body = await graphql(production_client, ME_NAMED, token=token)

    assert body["data"]["me"]["email"] == super_admin.email


# --- unexpected failures --------------------------------------------------------------


async def test_an_unexpected_failure_is_internal_without_details(
    client: AsyncClient, super_admin: User, caplog: pytest.LogCaptureFixture
) -> None:
    # A real fault, not a mock: the table the login writes to is gone.
    await get_connection("default").execute_script("DROP TABLE sessions")

    with caplog.at_level(logging.ERROR):
        response = await post_json(client, LOGIN_TOKEN, email=super_admin.email, password=PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert body.get("data") is None
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL"}
    assert error["path"] == ["login"]
    for leak in ("sessions", "SQL", "sql", "Traceback", "INSERT", "token_hash", PASSWORD):
        assert leak not in response.text
    # The server keeps the details for itself, and even there no password.
    assert "Traceback" in caplog.text
    assert PASSWORD not in caplog.text


async def test_a_failure_before_execution_is_internal_without_details(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    # Recognising the token needs the sessions table, before any resolver runs.
    await get_connection("default").execute_script("DROP TABLE sessions")

    response = await client.post(
        "/graphql", json={"query": ME_NAMED}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 500
    assert error_codes(response.json()) == ["INTERNAL"]
    for leak in ("sessions", "SQL", "Traceback", token):
        assert leak not in response.text
    assert (await client.get("/healthz")).status_code == 200
