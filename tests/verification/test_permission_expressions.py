"""Permission expressions: AND, OR and parentheses by a real parser, clear 400s with the
column, and a key's `*` granting every action of its resource."""

from __future__ import annotations

import httpx
import pytest

from core.permission_expressions import (
    MAX_EXPRESSION_DEPTH,
    ExpressionError,
    PermissionSet,
    parse_expression,
    satisfies,
)
from models import User
from tests.support.factories import make_api_key
from tests.support.graphql import GraphQLClient
from tests.support.verification import VERIFY_API_KEY, verdict, verify
from tests.verification.conftest import Root

HELD = PermissionSet(["invoices:read", "admin:*", "reports:ex*"])


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("invoices:read", True),
        ("invoices:write", False),
        ("invoices:read AND (invoices:write OR admin:*)", True),
        ("invoices:read AND invoices:write", False),
        ("invoices:write OR invoices:read", True),
        ("admin:delete-everything", True),
        ("admin:*", True),
        ("reports:export", True),
        ("reports:read", False),
        ("invoices:write OR invoices:read AND admin:x", True),  # AND binds tighter
        ("(invoices:write OR invoices:read) AND billing:x", False),
        ("invoices:read and (x:y or admin:z)", True),  # keywords in any case
        ("((((invoices:read))))", True),
    ],
)
def test_expression_verdicts(expression: str, expected: bool) -> None:
    assert satisfies(parse_expression(expression), HELD) is expected


def test_a_wildcard_never_crosses_resources() -> None:
    assert not PermissionSet(["admin:*"]).grants("administrators:read")
    assert not PermissionSet(["a:*"]).grants("ab:c")


@pytest.mark.parametrize(
    ("expression", "position"),
    [
        ("", 1),
        ("invoices:read AND", 18),
        ("(invoices:read", 15),
        ("invoices:read)", 14),
        ("invoices:read OR OR x:y", 18),
        ("Invoices:Read", 1),
        ("invoices:read AND __import__('os')", 19),
        ("invoices", 1),
        ("a:b c:d", 5),
    ],
)
def test_malformed_expression_names_the_column(expression: str, position: int) -> None:
    with pytest.raises(ExpressionError) as raised:
        parse_expression(expression)
    assert raised.value.position == position


def test_nesting_is_bounded() -> None:
    deep = "(" * (MAX_EXPRESSION_DEPTH + 1) + "a:b" + ")" * (MAX_EXPRESSION_DEPTH + 1)

    with pytest.raises(ExpressionError, match="nest"):
        parse_expression(deep)


async def test_route_answers_true_and_false_expressions(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer, permissions=["invoices:read", "admin:*"])

    true = await verdict(
        client, root.secret, key=secret, permissions="invoices:read AND (invoices:write OR admin:*)"
    )
    false = await verdict(client, root.secret, key=secret, permissions="invoices:write")

    assert (true["valid"], true["code"]) == (True, "VALID")
    assert (false["valid"], false["code"]) == (False, "INSUFFICIENT_PERMISSIONS")


async def test_route_refuses_a_malformed_expression_with_400(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer)

    response = await verify(client, root.secret, key=secret, permissions="a:b AND (c:d")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "reason": "INVALID_PERMISSION_EXPRESSION",
        "position": 13,
    }
    assert "column 13" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"key": 5},
        {"key": "x", "cost": -1},
        {"key": "x", "cost": 1.5},
        {"key": "x", "cost": True},
        {"key": "x", "clientAddress": "not an address"},
        {"key": "x", "operation": ""},
        {"key": "x", "operation": "a\u202eb"},
        {"key": "x", "extra": 1},
        {"key": "x", "permissions": 3},
    ],
)
async def test_route_refuses_a_bad_body_with_400(
    client: httpx.AsyncClient, root: Root, body: dict[str, object]
) -> None:
    response = await client.post(
        "/v1/keys/verify", json=body, headers={"Authorization": f"Bearer {root.secret}"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"key"', b"[" * 500 + b"]" * 500])
async def test_route_refuses_a_body_that_is_not_a_json_object(
    client: httpx.AsyncClient, root: Root, raw: bytes
) -> None:
    response = await client.post(
        "/v1/keys/verify",
        content=raw,
        headers={"Authorization": f"Bearer {root.secret}", "Content-Type": "application/json"},
    )

    assert response.status_code == 400


async def test_graphql_refuses_a_malformed_expression(
    gql: GraphQLClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer)

    result = await gql.execute(
        VERIFY_API_KEY, {"input": {"key": secret, "permissions": "a:b OR"}}, token=root.secret
    )

    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["position"] == 7
