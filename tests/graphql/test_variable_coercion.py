"""A variable that fails coercion may hold a password: the answer names the variable, where
in it the fault is and the type expected, and neither the answer nor any log line (request
log, error log, DEBUG included) nor a trace holds the value. It is BAD_USER_INPUT with no
traceback, in development and production, over POST and GET."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core.config import Settings
from gatehouse.app import create_app
from models import Role, User
from tests.support.database import SETTINGS
from tests.support.documents import CREATE_API_KEY_SECRET, CREATE_USER, USERS_COUNT
from tests.support.factories import make_user
from tests.support.graphql import login
from tests.support.logging_capture import server_logging

SECRET = "Tr0ub4dor&3-do-not-echo"
BIG_NUMBER = 98765432109876

LOGIN = 'mutation ($p: String!) { login(email: "a@b.cd", password: $p) { token } }'
EXPIRING_KEY = """
mutation ($at: DateTime) { createApiKey(input: {name: "n", scopes: [READ], expiresAt: $at}) {
  secret
} }
"""
USER = "query ($id: ID!) { user(id: $id) { email } }"
USERS_BY_ROLE = "query ($role: Role) { users(filter: {role: $role}) { totalCount } }"
AUDIT_SINCE = "query ($since: DateTime) { auditLog(filter: {since: $since}) { totalCount } }"


def new_user(**overrides: Any) -> dict[str, Any]:
    return {
        "email": "new@example.com",
        "displayName": "New",
        "password": "a long enough password",
        "roles": ["ADMIN"],
        **overrides,
    }


@dataclass(frozen=True)
class Case:
    query: str
    variables: dict[str, Any]
    variable: str
    secret: str = SECRET
    anonymous: bool = False
    also_over_get: bool = False


CASES = {
    "password given as an object": Case(LOGIN, {"p": {"value": SECRET}}, "$p", anonymous=True),
    "password given as a list": Case(LOGIN, {"p": [SECRET, SECRET]}, "$p", anonymous=True),
    "password given as a number": Case(
        LOGIN, {"p": BIG_NUMBER}, "$p", secret=str(BIG_NUMBER), anonymous=True
    ),
    "nested password as an object": Case(
        CREATE_USER, {"input": new_user(password={"value": SECRET})}, "$input"
    ),
    "enum value in a list": Case(
        CREATE_USER, {"input": new_user(roles=["ADMIN", SECRET])}, "$input"
    ),
    "unknown input field": Case(CREATE_USER, {"input": new_user(extra=SECRET)}, "$input"),
    "missing field beside a password": Case(
        CREATE_USER, {"input": {"email": "n@example.com", "password": SECRET}}, "$input"
    ),
    "input object given as a string": Case(CREATE_USER, {"input": SECRET}, "$input"),
    "list item given as an object": Case(
        CREATE_API_KEY_SECRET,
        {"input": {"name": "n", "scopes": ["READ"], "allowedCidrs": ["10.0.0.0/8", {SECRET: 1}]}},
        "$input",
    ),
    "custom scalar DateTime": Case(EXPIRING_KEY, {"at": SECRET}, "$at"),
    "DateTime inside an input": Case(AUDIT_SINCE, {"since": SECRET}, "$since", also_over_get=True),
    "ID given as an object": Case(USER, {"id": {"id": SECRET}}, "$id", also_over_get=True),
    "Int overflow": Case(
        USERS_COUNT, {"first": BIG_NUMBER}, "$first", secret=str(BIG_NUMBER), also_over_get=True
    ),
    "enum argument": Case(USERS_BY_ROLE, {"role": SECRET}, "$role", also_over_get=True),
}


@dataclass
class Deployment:
    client: httpx.AsyncClient
    token: str
    spans: InMemorySpanExporter


async def deployment(settings: Settings) -> AsyncIterator[Deployment]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(settings, manage_database=False, tracer_provider=provider)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        admin = await make_user(roles=(Role.SUPER_ADMIN,))
        yield Deployment(client, await login(client, admin), exporter)
    provider.shutdown()


@pytest.fixture(params=["development", "production"])
async def served(request: pytest.FixtureRequest, db: None) -> AsyncIterator[Deployment]:
    async for served in deployment(replace(SETTINGS, environment=request.param)):
        yield served


def assert_answer_names_the_variable_only(response: httpx.Response, case: Case) -> None:
    assert case.secret not in response.text
    body = response.json()
    assert body["errors"]
    for error in body["errors"]:
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert case.variable in error["message"]
    assert "data" not in body


def assert_nothing_recorded(logs: str, spans: InMemorySpanExporter, secret: str) -> None:
    assert secret not in logs
    assert "Traceback" not in logs
    assert " ERROR " not in logs
    assert "outcome=BAD_USER_INPUT" in logs  # the request line is there, without the value
    recorded = "\n".join(
        f"{span.name} {dict(span.attributes or {})}" for span in spans.get_finished_spans()
    )
    assert secret not in recorded


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_a_badly_shaped_variable_is_named_never_echoed(
    served: Deployment, case: Case
) -> None:
    headers = {} if case.anonymous else {"Authorization": f"Bearer {served.token}"}

    with server_logging(level="DEBUG") as logs:
        response = await served.client.post(
            "/graphql", json={"query": case.query, "variables": case.variables}, headers=headers
        )

    assert response.status_code == 200
    assert_answer_names_the_variable_only(response, case)
    assert_nothing_recorded(logs.getvalue(), served.spans, case.secret)


@pytest.mark.parametrize(
    "case",
    [case for case in CASES.values() if case.also_over_get],
    ids=[name for name, case in CASES.items() if case.also_over_get],
)
async def test_a_badly_shaped_variable_over_get_is_named_never_echoed(
    served: Deployment, case: Case
) -> None:
    params = {"query": case.query, "variables": json.dumps(case.variables)}

    with server_logging(level="DEBUG") as logs:
        response = await served.client.get(
            "/graphql",
            params=params,
            headers={"Authorization": f"Bearer {served.token}", "Accept": "application/json"},
        )

    assert response.status_code == 200
    assert_answer_names_the_variable_only(response, case)
    assert_nothing_recorded(logs.getvalue(), served.spans, case.secret)


async def test_the_answer_says_where_and_what_was_expected(
    client: httpx.AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    response = await client.post(
        "/graphql",
        json={"query": CREATE_USER, "variables": {"input": new_user(password={"v": SECRET})}},
        headers={"Authorization": f"Bearer {token}"},
    )

    [error] = response.json()["errors"]
    assert error["message"] == (
        "Variable '$input' has an invalid value at 'input.password': "
        "expected a value of type 'String!'."
    )


async def test_a_missing_field_is_named_with_its_type(
    client: httpx.AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    variables = {"input": {"email": "n@example.com", "password": SECRET, "roles": ["ADMIN"]}}

    response = await client.post(
        "/graphql",
        json={"query": CREATE_USER, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )

    [error] = response.json()["errors"]
    assert error["message"] == (
        "Variable '$input' has an invalid value: Expected value of type 'CreateUserInput' "
        "to include required field 'displayName'."
    )


LITERALS = {
    "object for a String": 'mutation { login(email: "a@b.cd", password: {v: "%s"}) { token } }',
    "object inside an input": """mutation { createUser(input: {email: "n@example.com",
        displayName: "N", password: {v: "%s"}, roles: [ADMIN]}) { id } }""",
    "enum value": 'mutation { createApiKey(input: {name: "n", scopes: [READ, %s]}) { secret } }',
    "DateTime": """mutation { createApiKey(input: {name: "n", scopes: [READ],
        expiresAt: "%s"}) { secret } }""",
    "unknown field": """mutation { createApiKey(input: {name: "n", scopes: [READ],
        extra: "%s"}) { secret } }""",
}


@pytest.mark.parametrize("document", LITERALS.values(), ids=LITERALS.keys())
async def test_a_literal_of_the_wrong_type_is_named_never_echoed(
    served: Deployment, document: str
) -> None:
    secret = "Tr0ub4dor_3_do_not_echo"  # also a valid enum name

    with server_logging(level="DEBUG") as logs:
        response = await served.client.post(
            "/graphql",
            json={"query": document % secret},
            headers={"Authorization": f"Bearer {served.token}"},
        )

    assert secret not in response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("Argument '")
    assert secret not in logs.getvalue()
    assert "Traceback" not in logs.getvalue()
