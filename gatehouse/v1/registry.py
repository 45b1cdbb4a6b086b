"""The `/v1` routes, declared once each: the app mounts them and `GET /v1/openapi.json`
describes them from the same declarations.

Adding a route is one declaration beside its endpoint:

    @v1_route(
        "GET", "/v1/usage.csv",
        summary="Usage as CSV",
        parameters=[{"name": "from", "in": "query", "required": True,
                     "schema": {"type": "string", "format": "date-time"}}],
        responses={"200": {"description": "RFC 4180 CSV",
                           "content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    async def usage_csv(request: Request, services: Services) -> Response: ...

and an import of its module in `gatehouse/v1/__init__.py`. A route on a hot path may be
declared `asgi=True`: its endpoint is then an ASGI app taking the services too
(`AsgiEndpoint`), mounted without Starlette's request and response objects around it; its
GatehouseErrors are still answered by the app's exception handlers. Request and response bodies
name schemas of `SCHEMAS` (`{"$ref": "#/components/schemas/VerifyKeyInput"}`), which the
declaring module adds with `schema(name, json_schema)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from auth.runtime import Runtime
from core.config import Settings


@dataclass(frozen=True)
class Services:
    """What a /v1 endpoint may use: the process's settings and runtime."""

    settings: Settings
    runtime: Runtime


Endpoint = Callable[[Request, Services], Awaitable[Response]]
AsgiEndpoint = Callable[[Scope, Receive, Send, Services], Awaitable[None]]


@dataclass(frozen=True)
class V1Route:
    method: str
    path: str
    endpoint: Endpoint | AsgiEndpoint
    summary: str
    description: str = ""
    request_body: dict[str, Any] | None = None
    parameters: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, Any] = field(default_factory=dict)
    # False for a route anyone may call (the OpenAPI document itself).
    authenticated: bool = True
    # The OpenAPI security scheme of an authenticated route (gatehouse.v1.openapi).
    security: str = "rootKey"
    # `endpoint` is an AsgiEndpoint.
    asgi: bool = False


E = TypeVar("E", Endpoint, AsgiEndpoint)

ROUTES: list[V1Route] = []
SCHEMAS: dict[str, dict[str, object]] = {}


def schema(name: str, json_schema: dict[str, object]) -> dict[str, str]:
    """Add a component schema; answers the `$ref` that names it."""
    SCHEMAS[name] = json_schema
    return {"$ref": f"#/components/schemas/{name}"}


def v1_route(
    method: str,
    path: str,
    *,
    summary: str,
    description: str = "",
    request_body: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    responses: dict[str, Any] | None = None,
    authenticated: bool = True,
    security: str = "rootKey",
    asgi: bool = False,
) -> Callable[[E], E]:
    def declare(endpoint: E) -> E:
        ROUTES.append(
            V1Route(
                method=method.upper(),
                path=path,
                endpoint=endpoint,
                summary=summary,
                description=description,
                request_body=request_body,
                parameters=list(parameters or []),
                responses=dict(responses or {}),
                authenticated=authenticated,
                security=security,
                asgi=asgi,
            )
        )
        return endpoint

    return declare
