"""`allowedOperations` against the schema itself: for every role, key scope and anonymous
caller, each root field is called with made-up arguments, and it is refused by its
permission (FORBIDDEN, or UNAUTHENTICATED for want of a credential) exactly when it is not
listed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)
from httpx import AsyncClient

from models import Role, Scope
from schema import build_schema
from schema.documents import DocumentSettings
from schema.permissions import IsAuthenticated
from tests.support.database import SETTINGS
from tests.support.factories import make_api_key, make_user
from tests.support.graphql import GraphQLClient

ALLOWED = "query Allowed { allowedOperations }"
SCALARS = {
    "ID": '"eA=="',
    "String": '"x"',
    "Int": "1",
    "Float": "1.0",
    "Boolean": "false",
    "DateTime": '"2030-01-02T00:00:00+00:00"',
    "Date": '"2030-01-01"',
    "JSON": "{}",
}
SCHEMA = build_schema(DocumentSettings.from_settings(SETTINGS))._schema


def literal(of_type: GraphQLInputType) -> str:
    if isinstance(of_type, GraphQLNonNull):
        return literal(of_type.of_type)
    if isinstance(of_type, GraphQLList):
        return f"[{literal(of_type.of_type)}]"
    if isinstance(of_type, GraphQLEnumType):
        return str(next(iter(of_type.values)))
    if isinstance(of_type, GraphQLInputObjectType):
        required = [
            f"{name}: {literal(field.type)}"
            for name, field in of_type.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        ]
        return "{" + ", ".join(required) + "}"
    assert isinstance(of_type, GraphQLScalarType)
    return SCALARS[of_type.name]


def call_of(name: str, field: GraphQLField) -> str:
    """`name(required: made-up) { __typename }`: enough to pass validation."""
    arguments = ", ".join(
        f"{argument_name}: {literal(argument.type)}"
        for argument_name, argument in field.args.items()
        if isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
    )
    returned = get_named_type(field.type)
    selection = (
        " { __typename }"
        if isinstance(returned, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        else ""
    )
    return f"{name}({arguments}){selection}" if arguments else f"{name}{selection}"


def callable_roots() -> list[tuple[str, str]]:
    """(operation type, field) for Query and Mutation; subscriptions do not run over POST."""
    roots = [("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)]
    return [(kind, name) for kind, root in roots if root for name in root.fields]


def every_root_field() -> set[str]:
    roots = [SCHEMA.query_type, SCHEMA.mutation_type, SCHEMA.subscription_type]
    return {name for root in roots if root for name in root.fields}


def refused(result: dict[str, Any], name: str) -> bool:
    for error in result.get("errors", []):
        if error.get("path") not in (None, [name]):
            continue
        code = error["extensions"]["code"]
        # A permission's refusal has no reason; a domain rule's (a key may not grant a
        # scope it lacks) names its rule, and depends on the arguments, not the caller.
        if code == "FORBIDDEN" and "reason" not in error["extensions"]:
            return True
        if code == "UNAUTHENTICATED" and error["message"] == IsAuthenticated.message:
            return True
    return False


Credential = Callable[[AsyncClient], Awaitable[dict[str, str]]]


def session(role: Role) -> Credential:
    async def make(client: AsyncClient) -> dict[str, str]:
        user = await make_user(roles=(role,))
        return {"Authorization": f"Bearer {await GraphQLClient(client).login(user)}"}

    return make


def key(*scopes: Scope, owner: Role = Role.SUPER_ADMIN) -> Credential:
    async def make(client: AsyncClient) -> dict[str, str]:
        _, secret = await make_api_key(await make_user(roles=(owner,)), scopes=scopes)
        return {"X-API-Key": secret}

    return make


async def anonymous(_: AsyncClient) -> dict[str, str]:
    return {}


CREDENTIALS: dict[str, Credential] = {
    "super-admin session": session(Role.SUPER_ADMIN),
    "admin session": session(Role.ADMIN),
    "read-only session": session(Role.READ_ONLY),
    "READ key": key(Scope.READ),
    "WRITE key": key(Scope.WRITE),
    "ADMIN key": key(Scope.ADMIN),
    "every scope, read-only owner": key(Scope.READ, Scope.WRITE, Scope.ADMIN, owner=Role.READ_ONLY),
    "READ and WRITE key of an admin": key(Scope.READ, Scope.WRITE, owner=Role.ADMIN),
    "anonymous": anonymous,
}


async def allowed_for(client: AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.post("/graphql", json={"query": ALLOWED}, headers=headers)
    body = response.json()
    assert "errors" not in body, body
    names: list[str] = body["data"]["allowedOperations"]
    return names


@pytest.mark.parametrize("credential", CREDENTIALS.values(), ids=CREDENTIALS.keys())
async def test_every_listed_field_is_callable_and_every_other_is_refused(
    client: AsyncClient, credential: Credential
) -> None:
    allowed = set(await allowed_for(client, await credential(client)))
    assert allowed <= every_root_field()
    assert "allowedOperations" in allowed
    mismatches = []
    for kind, name in callable_roots():
        root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
        assert root is not None
        document = f"{kind} {{ {call_of(name, root.fields[name])} }}"
        # A fresh credential for each call: a listed `logout` ends its session.
        headers = await credential(client)
        body = (await client.post("/graphql", json={"query": document}, headers=headers)).json()
        if refused(body, name) == (name in allowed):
            mismatches.append((name, "listed" if name in allowed else "unlisted", body))
    assert mismatches == []


async def test_the_lists_follow_the_permission_table(client: AsyncClient) -> None:
    read_only = set(await allowed_for(client, await session(Role.READ_ONLY)(client)))
    admin = set(await allowed_for(client, await session(Role.ADMIN)(client)))
    super_admin = set(await allowed_for(client, await session(Role.SUPER_ADMIN)(client)))
    write_key = set(await allowed_for(client, await key(Scope.WRITE)(client)))
    nobody = set(await allowed_for(client, {}))
    assert {"me", "apiKeys", "keyMetrics", "usageSeries", "topKeys", "logout"} <= read_only
    assert {"users", "createUser", "createApiKey", "auditLog"}.isdisjoint(read_only)
    assert {"users", "createApiKey", "revokeKey"} <= admin
    assert {"createUser", "deleteUser", "deleteApiKey", "auditLog"}.isdisjoint(admin)
    assert {"createUser", "deleteUser", "deleteApiKey", "auditLog"} <= super_admin
    assert {"createApiKey", "revokeKey"} <= write_key
    assert {"me", "login", "logout", "createUser"}.isdisjoint(write_key)
    assert nobody == {
        "login",
        "beginPasskeyLogin",
        "passkeyLogin",
        "acceptInvitation",
        "allowedOperations",
    }
