"""GraphQL over HTTP: `application/json` by default, `application/graphql-response+json`
with the spec's status codes when the client asks for it, queries over GET."""

from typing import Any

import httpx
import pytest

from gatehouse.graphql_http import GRAPHQL_RESPONSE, JSON, negotiate
from models import User
from tests.support.documents import ME_EMAIL_NAMED, USERS_COUNT
from tests.support.graphql import login

SYNTAX_ERROR = "{ me "
INVALID = "{ mee { email } }"


async def post(
    client: httpx.AsyncClient, query: str, accept: str | None, **extra: Any
) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    headers.update(extra.pop("headers", {}))
    return await client.post("/graphql", json={"query": query, **extra}, headers=headers)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", JSON),
        (f"{GRAPHQL_RESPONSE};q=0", JSON),
        (f"{GRAPHQL_RESPONSE}, */*", GRAPHQL_RESPONSE),
    ],
)
def test_the_media_type_follows_the_accept_header(accept: str | None, chosen: str) -> None:
    assert negotiate(accept) == chosen


@pytest.mark.parametrize("query", [SYNTAX_ERROR, INVALID, USERS_COUNT])
async def test_a_request_error_is_http_400_without_data_for_graphql_response_json(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await post(client, query, GRAPHQL_RESPONSE, variables={"first": "ten"})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("query", [SYNTAX_ERROR, INVALID])
async def test_a_request_error_stays_http_200_for_application_json(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await post(client, query, "application/json")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_execution_error_is_http_200_with_data_for_graphql_response_json(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, ME_EMAIL_NAMED, GRAPHQL_RESPONSE)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_answer_comes_in_the_media_type_asked_for(
    client: httpx.AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    response = await post(
        client, ME_EMAIL_NAMED, GRAPHQL_RESPONSE, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"me": {"email": super_admin.email}}}


async def test_a_body_that_is_not_json_answers_in_the_media_type_asked_for(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        content=b"{not json",
        headers={"Content-Type": "application/json", "Accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_query_may_come_over_get(client: httpx.AsyncClient, super_admin: User) -> None:
    token = await login(client, super_admin)

    response = await client.get(
        "/graphql",
        params={
            "query": "query ($n: Int) { users(first: $n) { totalCount } }",
            "variables": '{"n": 1}',
        },
        headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"users": {"totalCount": 1}}}


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_a_mutation_over_get_is_method_not_allowed(
    client: httpx.AsyncClient, accept: str
) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { logout }"}, headers={"Accept": accept}
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith(accept)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
