"""`GET /v1/openapi.json`: an OpenAPI 3.1 document of every declared /v1 route, built by
`apispec` from the registry (gatehouse.v1.registry), never written by hand."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from apispec import APISpec
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.error_responses import ERROR_BODY_SCHEMA
from gatehouse.v1.registry import ROUTES, SCHEMAS, Services, schema, v1_route

ERROR = schema("Error", ERROR_BODY_SCHEMA)


def error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def build_document() -> dict[str, Any]:
    spec = APISpec(
        title="Gatehouse /v1",
        version="1",
        openapi_version="3.1.0",
        info={
            "description": "Plain JSON routes beside the GraphQL API (docs/key-verification.md)."
        },
    )
    spec.components.security_scheme(
        "rootKey",
        {"type": "http", "scheme": "bearer", "description": "An API key with the VERIFY scope."},
    )
    spec.components.security_scheme(
        "credential",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A session token or an API key (also accepted as X-API-Key).",
        },
    )
    for name, json_schema in SCHEMAS.items():
        spec.components.schema(name, json_schema)
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": route.endpoint.__name__,
            "responses": route.responses,
        }
        if route.description:
            operation["description"] = route.description
        if route.parameters:
            operation["parameters"] = route.parameters
        if route.request_body is not None:
            operation["requestBody"] = route.request_body
        operation["security"] = [{route.security: []}] if route.authenticated else []
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@cache
def _document() -> dict[str, Any]:
    return build_document()


@v1_route(
    "GET",
    "/v1/openapi.json",
    summary="This document",
    responses={
        "200": {
            "description": "OpenAPI 3.1 of every /v1 route.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
    authenticated=False,
)
async def openapi_document(request: Request, services: Services) -> Response:
    del request, services
    return Response(orjson.dumps(_document()), media_type="application/json")
