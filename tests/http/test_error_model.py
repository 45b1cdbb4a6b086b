"""One error model: every error body comes from one builder, with the extensions GraphQL
results carry for the same error, and one table between codes and HTTP statuses."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from graphql.error import GraphQLError

from core.errors import (
    INTERNAL_MESSAGE,
    CredentialRefused,
    ErrorCode,
    GatehouseError,
    MissingScopeError,
    RateLimitedError,
    code_for_status,
    forbidden,
    status_for,
)
from gatehouse.error_responses import error_body
from gatehouse.graphql_http import GRAPHQL_RESPONSE
from schema.errors import with_code
from tests.support.paths import ROOT

# The project root, wherever under tests/ this file sits.
PRODUCT = ("core", "models", "auth", "resolvers", "schema", "gatehouse")
BUILDER = ROOT / "gatehouse" / "error_responses.py"
CODES_AND_STATUSES = ROOT / "core" / "errors.py"


def _product_modules() -> list[Path]:
    modules = [path for package in PRODUCT for path in (ROOT / package).rglob("*.py")]
    return [path for path in modules if "migrations" not in path.parts]


def _string_keys(node: ast.Dict) -> set[str]:
    return {
        key.value
        for key in node.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def _error_statuses(node: ast.Dict) -> list[int]:
    return [
        key.value
        for key in node.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, int) and 400 <= key.value < 600
    ]


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _is_probe_body(node: ast.Call) -> bool:
    """`/healthz` and `/readyz` answer `{"status": ...}`: a probe's body, not an error."""
    return (
        bool(node.args)
        and isinstance(node.args[0], ast.Dict)
        and _string_keys(node.args[0]) == {"status"}
    )


def test_every_error_body_is_built_in_one_place() -> None:
    found: list[str] = []
    for path in _product_modules():
        if path == BUILDER:
            continue
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Dict) and "errors" in _string_keys(node):
                found.append(f'{where}:{node.lineno}: a dict with an "errors" key')
            if (
                isinstance(node, ast.Call)
                and _called_name(node) == "JSONResponse"
                and not _is_probe_body(node)
            ):
                found.append(f"{where}:{node.lineno}: JSONResponse(...)")
    assert found == [], "error bodies come from gatehouse/error_responses.py only"


def test_statuses_and_codes_are_mapped_in_one_table() -> None:
    found: list[str] = []
    for path in _product_modules():
        if path == CODES_AND_STATUSES:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Dict) and len(_error_statuses(node)) >= 2:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], "HTTP statuses map to codes in core/errors.py only"


def test_the_table_reads_both_ways() -> None:
    for code in ErrorCode:
        assert code_for_status(status_for(code)) is code
    # Statuses without a code of their own: 4xx is the request's fault, 5xx the server's.
    for status in (405, 408, 413, 415, 422):
        assert code_for_status(status) is ErrorCode.BAD_USER_INPUT
    for status in (502, 503, 504):
        assert code_for_status(status) is ErrorCode.INTERNAL


@pytest.mark.parametrize(
    "error",
    [
        RateLimitedError(2.2, "Slow down."),
        MissingScopeError("WRITE"),
        forbidden("Not yours.", reason="NOT_KEY_OWNER"),
        GatehouseError(
            ErrorCode.INTERNAL, "Too slow.", reason="DEADLINE_EXCEEDED", extensions={"limit": 1.5}
        ),
        CredentialRefused(ErrorCode.FORBIDDEN, "Not from here.", status_code=403),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_graphql_error_and_a_refused_request_carry_the_same_extensions(
    error: GatehouseError,
) -> None:
    in_a_result = with_code(GraphQLError(error.message, original_error=error)).formatted
    assert error_body(error) == {
        "errors": [{"message": in_a_result["message"], "extensions": in_a_result["extensions"]}]
    }
    extensions = in_a_result["extensions"]
    assert extensions is not None
    assert next(iter(extensions)) == "code"


def test_what_each_error_adds() -> None:
    limited = RateLimitedError(2.2, "Slow down.")
    assert (limited.status_code, limited.headers) == (429, {"Retry-After": "3"})
    assert limited.graphql_extensions() == {"code": "RATE_LIMITED", "retryAfter": 3}
    scope = MissingScopeError("ADMIN")
    assert (scope.status_code, scope.graphql_extensions()) == (
        403,
        {"code": "FORBIDDEN", "requiredScope": "ADMIN"},
    )
    # A bug says nothing but that it happened.
    bug = with_code(GraphQLError("boom", original_error=KeyError("secret"))).formatted
    assert bug["message"] == INTERNAL_MESSAGE
    assert bug["extensions"] == {"code": "INTERNAL"}


async def test_strawberrys_refusals_answer_through_the_handlers_in_the_negotiated_type(
    client: httpx.AsyncClient,
) -> None:
    over_get = await client.get(
        "/graphql",
        params={"query": "mutation { logout }"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert over_get.status_code == 405
    assert over_get.headers["allow"] == "POST"
    assert over_get.headers["content-type"] == GRAPHQL_RESPONSE
    assert over_get.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "data" not in over_get.json()

    not_json = await client.post(
        "/graphql",
        content=b"{not json",
        headers={"Content-Type": "application/json", "Accept": GRAPHQL_RESPONSE},
    )
    assert not_json.status_code == 400
    assert not_json.headers["content-type"] == GRAPHQL_RESPONSE
    assert [e["extensions"]["code"] for e in not_json.json()["errors"]] == ["BAD_USER_INPUT"]
    # Every refusal passes through the middleware, which stamps its request id on it.
    assert not_json.headers["x-request-id"]


async def test_paths_outside_the_api_keep_starlettes_plain_answers(
    client: httpx.AsyncClient,
) -> None:
    """Only GraphQL's refusals and GatehouseError are handled: an unknown path or a probe
    asked with the wrong method is answered by Starlette, as before."""
    unknown = await client.get("/nowhere")
    assert (unknown.status_code, unknown.text) == (404, "Not Found")
    wrong_method = await client.post("/healthz")
    assert (wrong_method.status_code, wrong_method.text) == (405, "Method Not Allowed")
    assert "GET" in wrong_method.headers["allow"]
