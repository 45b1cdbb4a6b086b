"""Plain JSON routes under /v1, beside GraphQL: each module declares its routes in the
registry (gatehouse.v1.registry), and importing it here mounts and documents them."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gatehouse.v1 import keys_verify, openapi, usage_csv
from gatehouse.v1.registry import ROUTES, AsgiEndpoint, Endpoint, Services

__all__ = ["keys_verify", "openapi", "usage_csv", "v1_routes"]


def _bound(
    endpoint: Endpoint, services: Services
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    async def handle(request: Request) -> Response:
        return await endpoint(request, services)

    handle.__name__ = endpoint.__name__
    return handle


class _BoundAsgi:
    """An AsgiEndpoint with its services: an ASGI app (not a function, so that Starlette
    mounts it as it is)."""

    def __init__(self, endpoint: AsgiEndpoint, services: Services) -> None:
        self.endpoint, self.services = endpoint, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint(scope, receive, send, self.services)


def v1_routes(services: Services) -> list[Route]:
    return [
        Route(
            route.path,
            _BoundAsgi(cast(AsgiEndpoint, route.endpoint), services)
            if route.asgi
            else _bound(cast(Endpoint, route.endpoint), services),
            methods=[route.method],
        )
        for route in ROUTES
    ]
