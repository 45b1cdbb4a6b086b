"""Production gives nothing away: without a valid credential only `login` is answered, and
no error suggests a name; development keeps GraphiQL's introspection."""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from httpx import AsyncClient

from gatehouse.app import create_app
from models import User
from tests.support.database import SETTINGS
from tests.support.factories import PASSWORD
from tests.support.graphql import error_codes, login

PRODUCTION = replace(SETTINGS, environment="production")
UNKNOWN_TOKEN = "gs_" + "A" * 43

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token user { email } }
}
"""

# What a schema-recovery tool sends: near-miss names of every kind.
PROBES = {
    "field": "query { mee { id } }",
    "argument": "query { users(frist: 1) { totalCount } }",
    "input-field": 'query { users(filter: { serch: "a" }) { totalCount } }',
    "enum-value": "query { users(filter: { role: ADMN }) { totalCount } }",
    "type": "query ($f: UserFiltr) { users(filter: $f) { totalCount } }",
    "introspection": "{ __schema { types { name } } }",
    "typename": "{ __typename }",
}


@pytest.fixture
async def production(db: None) -> AsyncIterator[AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(PRODUCTION, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def post(
    client: AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> tuple[dict[str, Any], str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json(), response.text


@pytest.mark.parametrize("probe", PROBES.values(), ids=PROBES.keys())
@pytest.mark.parametrize("credential", [None, UNKNOWN_TOKEN], ids=["anonymous", "rejected"])
async def test_anything_but_login_without_a_valid_credential_is_unauthenticated(
    production: AsyncClient, probe: str, credential: str | None
) -> None:
    body, text = await post(production, probe, token=credential)

    assert body.get("data") is None
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "Did you mean" not in text
    for name in ("User", "users", "filter", "Query", "Role", "me"):
        assert f"'{name}'" not in text


@pytest.mark.parametrize("credential", [None, UNKNOWN_TOKEN], ids=["anonymous", "rejected"])
async def test_login_still_works_without_a_valid_credential(
    production: AsyncClient, super_admin: User, credential: str | None
) -> None:
    body, _ = await post(
        production, LOGIN, {"email": super_admin.email, "password": PASSWORD}, credential
    )

    assert "errors" not in body, body
    assert body["data"]["login"]["user"]["email"] == super_admin.email


async def test_login_hidden_in_a_fragment_is_still_login(
    production: AsyncClient, super_admin: User
) -> None:
    document = """
    mutation ($email: String!, $password: String!) { ...SignIn }
    fragment SignIn on Mutation { login(email: $email, password: $password) { token } }
    """
    body, _ = await post(production, document, {"email": super_admin.email, "password": PASSWORD})

    assert "errors" not in body, body


@pytest.mark.parametrize(
    "document",
    [
        'mutation { login(emial: "a@b.c", password: "x") { token } }',
        'mutation { login(email: "a@b.c", password: "x") { tokn } }',
        'mutation { login(email: "a@b.c", password: "x") { user { rols } } }',
    ],
)
async def test_anonymous_validation_errors_name_nothing(
    production: AsyncClient, document: str
) -> None:
    body, text = await post(production, document)

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "Did you mean" not in text
    for name in ("login", "email", "emial", "tokn", "token", "User", "LoginPayload", "rols"):
        assert name not in body["errors"][0]["message"]


async def test_a_second_operation_beside_login_is_unauthenticated(
    production: AsyncClient,
) -> None:
    document = 'mutation { login(email: "a@b.c", password: "x") { token } logout }'

    body, _ = await post(production, document)

    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param("query { users(frist: 1) { totalCount } }", {}, id="argument"),
        pytest.param('query { users(filter: { serch: "a" }) { totalCount } }', {}, id="input"),
        pytest.param("query { users(filter: { role: ADMN }) { totalCount } }", {}, id="enum"),
        pytest.param(
            "query ($r: Role) { users(filter: { role: $r }) { totalCount } }",
            {"r": "ADMN"},
            id="enum-variable",
        ),
        pytest.param(
            "query ($f: UserFilter) { users(filter: $f) { totalCount } }",
            {"f": {"serch": "a"}},
            id="input-variable",
        ),
        pytest.param("query { mee { id } }", {}, id="field"),
    ],
)
async def test_no_suggestion_of_any_kind_for_signed_in_callers_either(
    production: AsyncClient, super_admin: User, query: str, variables: dict[str, Any]
) -> None:
    token = await login(production, super_admin)

    body, text = await post(production, query, variables, token)

    assert error_codes(body) == ["BAD_USER_INPUT"] * len(body["errors"])
    assert body["errors"]
    assert "Did you mean" not in text


async def test_development_answers_anonymous_introspection(client: AsyncClient) -> None:
    body, _ = await post(client, "{ __schema { queryType { name } } }")

    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_development_refuses_a_rejected_credential_too(client: AsyncClient) -> None:
    body, _ = await post(client, "{ __typename }", token=UNKNOWN_TOKEN)

    assert body.get("data") is None
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_development_still_suggests_arguments(client: AsyncClient) -> None:
    _, text = await post(client, "query { users(frist: 1) { totalCount } }")

    assert "Did you mean" in text
