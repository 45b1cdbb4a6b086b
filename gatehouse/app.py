"""The ASGI application: GraphQL on /graphql, liveness and readiness probes beside it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from tortoise.connection import get_connection
from tortoise.contrib.starlette import RegisterTortoise

from auth import passwords
from auth.credentials import authenticate
from core.config import Settings
from core.errors import ErrorCode
from gatehouse.body_limit import BodySizeLimit
from gatehouse.database import tortoise_config
from gatehouse.graphql_http import JSON, failed_before_execution, negotiate
from schema import build_schema
from schema.context import Context
from schema.errors import INTERNAL_MESSAGE

log = logging.getLogger("gatehouse.app")

MAX_BODY_BYTES = 1024 * 1024
_HTTP_ERROR_CODES = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.BAD_USER_INPUT}


def _error_response(
    status: int,
    code: ErrorCode,
    message: str,
    media_type: str = JSON,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code.value}}]},
        status_code=status,
        media_type=media_type,
        headers=headers,
    )


class GatehouseGraphQL(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(production=settings.is_production),
            graphql_ide=None if settings.is_production else "graphiql",
            # Credentials travel in headers, never cookies, so a query over GET is no
            # cross-site risk; mutations over GET stay refused.
            allow_queries_via_get=True,
        )
        self.settings = settings

    async def get_context(self, request: Any, response: Any) -> Context:
        actor = await authenticate(request.headers, request.client.host if request.client else None)
        return Context(request=request, response=response, actor=actor, settings=self.settings)

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            # GraphQL over HTTP: a mutation sent with GET is 405 Method Not Allowed.
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, exc.reason) from exc
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if failed_before_execution(result.data, result.errors):
            # Nothing was executed, so there is no `data`, not even null (GraphQL spec 7.1.2).
            processed.pop("data", None)
            request.state.failed_before_execution = True
        return processed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await _error_response(400, ErrorCode.BAD_USER_INPUT, "HTTP only.")(scope, receive, send)
            return
        request = Request(scope, receive)
        media_type = negotiate(request.headers.get("accept"))
        try:
            response = await self.run(request)
        except HTTPException as exc:
            # Bodies that are not JSON, wrong content types and wrong methods answer with
            # the same `errors` shape as everything else.
            code = _HTTP_ERROR_CODES.get(exc.status_code, ErrorCode.BAD_USER_INPUT)
            allow = {"Allow": "POST" if request.method == "GET" else "GET, POST"}
            response = _error_response(
                exc.status_code,
                code,
                exc.reason,
                media_type,
                allow if exc.status_code == 405 else None,
            )
        except Exception:
            log.exception("request failed before execution")
            response = _error_response(500, ErrorCode.INTERNAL, INTERNAL_MESSAGE, media_type)
        else:
            if media_type != JSON and response.media_type == JSON:
                response.headers["content-type"] = media_type
                if getattr(request.state, "failed_before_execution", False):
                    response.status_code = 400
        await response(scope, receive, send)


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(_: Request) -> Response:
    try:
        await get_connection("default").execute_query("SELECT 1")
    except Exception:  # any failure at all means "not ready"
        log.warning("readiness check failed: the database does not answer", exc_info=True)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings, *, manage_database: bool = True) -> Starlette:
    """`manage_database=False` leaves the database to the caller (the tests' own context)."""
    passwords.configure(
        time_cost=settings.argon2_time_cost,
        memory_cost_kib=settings.argon2_memory_cost_kib,
        parallelism=settings.argon2_parallelism,
    )
    graphql = GatehouseGraphQL(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_database:
            yield
            return
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            yield

    middleware = [Middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)]
    if settings.cors_origins:
        # Credentials travel in headers, never cookies, so no allow_credentials.
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=list(settings.cors_allow_headers),
                max_age=600,
            ),
        )
    return Starlette(
        middleware=middleware,
        routes=[
            # No method list: GraphQL itself answers other methods with a JSON error.
            Route("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` when serving with several workers."""
    return create_app(Settings.load())
