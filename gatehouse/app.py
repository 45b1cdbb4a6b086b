"""The ASGI application: GraphQL on /graphql, liveness and readiness probes beside it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType
from tortoise.connection import get_connection
from tortoise.contrib.starlette import RegisterTortoise

from auth.credentials import authenticate, credential_from_headers, known_address
from auth.principal import Actor, Anonymous, Principal
from auth.runtime import Runtime, build_runtime
from auth.tokens import looks_like_api_key
from core import metrics
from core.config import Settings
from core.errors import ErrorCode, GatehouseError, bad_input, unauthenticated, unavailable
from core.outage import shorten_library_outage_logs
from gatehouse import connection_guard, trace_export
from gatehouse.body_limit import BodySizeLimit
from gatehouse.call_outcomes import outcome_of, remember_call, settle_call
from gatehouse.database import tortoise_config
from gatehouse.database_timing import instrument_database_clients
from gatehouse.draining import Drain
from gatehouse.error_responses import (
    EXCEPTION_HANDLERS,
    on_gatehouse_error,
    on_http_exception,
    send_error,
    unexpected,
)
from gatehouse.graphql_endpoint import GraphQLEndpoint, serves, straight_to
from gatehouse.graphql_http import JSON, failed_before_execution, negotiate
from gatehouse.json_depth import MAX_JSON_DEPTH, nests_deeper_than
from gatehouse.live_transport import (
    SUBSCRIPTION_PROTOCOLS,
    GatehouseTransportWSHandler,
    SubscriptionsOverSSE,
    TextFrames,
    authenticate_connection,
)
from gatehouse.logging_setup import configure_logging
from gatehouse.metrics_endpoint import metrics_endpoint
from gatehouse.operation_names import requested_operation
from gatehouse.playground import Playground
from gatehouse.portal import Portal
from gatehouse.readiness import PROBE_TIMEOUT_SECONDS, Readiness
from gatehouse.request_log import RequestLog
from gatehouse.startup import sqlite_path
from gatehouse.tracing import TraceRequests, tracer_provider_from
from gatehouse.trusted_documents import TrustedDocuments, persisted_query_hash
from gatehouse.v1 import v1_routes
from gatehouse.v1.registry import Services
from gatehouse.webhooks import REQUEST_TIMEOUT_SECONDS, run_sender
from schema import GatehouseSchema, build_schema
from schema.context import Context
from schema.documents import DocumentSettings

log = logging.getLogger("gatehouse.app")

MAX_BODY_BYTES = 1024 * 1024
DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"


def _no_problem() -> str | None:
    return None


class GatehouseGraphQL(GraphQL[Context, None]):
    # Subscriptions: graphql-transport-ws and SSE, never the legacy graphql-ws (see
    # gatehouse.live_transport).
    graphql_transport_ws_handler_class = GatehouseTransportWSHandler
    websocket_adapter_class = TextFrames
    stream_transport_classes_by_protocol = {GRAPHQL_SSE_PROTOCOL: SubscriptionsOverSSE}  # noqa: RUF012 - the base class declares it

    def __init__(self, settings: Settings, runtime: Runtime, tracer_provider: Any = None) -> None:
        super().__init__(
            build_schema(DocumentSettings.from_settings(settings), tracer_provider=tracer_provider),
            graphql_ide=None if settings.is_production else "graphiql",
            # Credentials travel in headers, never cookies, so a query over GET is no
            # cross-site risk; mutations over GET stay refused.
            allow_queries_via_get=True,
            subscription_protocols=SUBSCRIPTION_PROTOCOLS,
            # A connection that never says who it is does not hold its socket for long.
            connection_init_wait_timeout=timedelta(seconds=settings.header_timeout_seconds),
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings
        self.runtime = runtime
        # Set by create_app: for SQLite, why its file may not be written now.
        self.database_file_problem: Callable[[], str | None] = _no_problem
        self.playground = Playground()
        # Plain GET and POST requests: the view's `run` serves the rest.
        self.endpoint = GraphQLEndpoint(self)
        self.trusted_documents = (
            TrustedDocuments.load(settings.trusted_documents)
            if settings.trusted_documents is not None
            else None
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our own page and assets instead of Strawberry's, which loads them from a CDN.
        return self.playground.page()

    def decode_json(self, data: str | bytes) -> object:
        # Checked before parsing: the parser itself would fail deep documents with a
        # RecursionError, answered as a 500.
        if nests_deeper_than(data, MAX_JSON_DEPTH):
            raise HTTPException(400, f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
        # orjson: several times faster than the standard library; its JSONDecodeError is
        # the standard library's, so bodies that are not JSON still answer 400.
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Any, response: Any) -> Context:
        address = request.client.host if request.client else None
        if isinstance(request, WebSocket):
            # Authenticated at `connection_init` (on_ws_connect), whose payload may carry
            # the credential instead of the handshake's headers.
            actor: Actor = Anonymous(client_address=known_address(address))
        else:
            operation = None
            credential = credential_from_headers(request.headers)
            if credential and looks_like_api_key(credential):
                documents = cast(GatehouseSchema, self.schema).document_cache
                operation = await requested_operation(request, documents)
            actor = await authenticate(request.headers, address, self.runtime, operation)
            remember_call(request, actor)
        return Context(
            request=request,
            response=response,
            actor=actor,
            settings=self.settings,
            runtime=self.runtime,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType:
        await authenticate_connection(context)
        return cast("UnsetType", UNSET)

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        request_data = kwargs["request_data"]
        context = kwargs["context"]
        # An event stream for nobody is refused whole (401), not opened to say so.
        if (
            isinstance(request_data, GraphQLRequestData)
            and self._get_stream_transport(request_data.protocol) is not None
            and not isinstance(context.actor, Principal)
        ):
            raise unauthenticated()
        return await super().execute_operation(*args, **kwargs)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        request_data = await super().parse_http_body(request)
        if self.trusted_documents is None or not isinstance(request_data, GraphQLRequestData):
            return request_data
        document_id = persisted_query_hash(request_data.extensions)
        if document_id is None and request_data.query is None:
            # `documentId` is not a field Strawberry reads: look it up in the body itself,
            # which is small when it carries no document.
            if request.method == "GET":
                document_id = request.query_params.get("documentId")
            else:
                body = self.parse_json(await request.get_body())
                document_id = body.get("documentId") if isinstance(body, dict) else None
        return self.trusted_documents.resolve(request_data, document_id)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        await settle_call(request, self.runtime, outcome_of(result.errors))
        if failed_before_execution(result.data, result.errors):
            # Nothing was executed, so there is no `data`, not even null (GraphQL spec 7.1.2).
            processed.pop("data", None)
            request.state.failed_before_execution = True
        return processed

    async def _run_within_deadline(self, request: Request) -> Response:
        """The whole request (credential, parse, checks, execution) within
        MAX_EXECUTION_SECONDS. Past it, the request's task is cancelled at its next await:
        database statements in flight are abandoned (a transaction rolls back), the
        DataLoaders' batches finish for nobody. Work between two awaits cannot be cut, which
        is what the query cost bounds."""
        seconds = self.settings.max_execution_seconds
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline:
                if serves(request):
                    return await self.endpoint.answer(request)
                return await self.run(request)
        except TimeoutError:
            if not deadline.expired():
                raise  # a timeout of something inside, not ours: handled as any failure
        log.warning("request cut at its deadline of %g s (MAX_EXECUTION_SECONDS)", seconds)
        # INTERNAL: the request was well formed and within its limits, the server did not
        # finish it in time (a slow or locked database, an overloaded process); 503, as for
        # a database outage, says it may succeed later.
        raise GatehouseError(
            ErrorCode.INTERNAL,
            f"The request did not finish within {seconds:g} seconds; its work was stopped.",
            reason=DEADLINE_EXCEEDED,
            extensions={"limit": seconds},
            status_code=503,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refusals are answered here, with the app's exception handlers
        (gatehouse.error_responses), inside the middleware that logs and heads them: the
        app sends /graphql straight here (see `straight_to`), past Starlette's router and
        exception middleware."""
        if scope["type"] == "websocket":
            websocket = WebSocket(scope, receive=receive, send=send)
            with connection_guard.holding_websocket(
                websocket.client.host if websocket.client else ""
            ) as admitted:
                if not admitted:
                    await websocket.close(code=1013)  # before accepting: a 403 handshake
                    return
                await self.run(websocket)
            return
        if scope["type"] != "http":
            await send_error(bad_input("HTTP only."), scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self._answer(request)
        except GatehouseError as exc:
            response = await on_gatehouse_error(request, exc)
        except HTTPException as exc:
            response = await on_http_exception(request, exc)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        unwritable = self.database_file_problem()
        if unwritable is not None:
            # A write now would be acknowledged into a deleted (or replaced) file and lost
            # at the next start: refuse, as in an outage, until an operator sees to it.
            log.error("database unavailable: %s", unwritable)
            raise unavailable()
        try:
            response = await self._run_within_deadline(request)
        except GatehouseError as exc:
            await settle_call(request, self.runtime, exc.code.value)
            raise
        except HTTPException:
            await settle_call(request, self.runtime, ErrorCode.BAD_USER_INPUT.value)
            raise
        except Exception as exc:
            refusal = unexpected(exc)
            await settle_call(request, self.runtime, refusal.code.value)
            raise refusal from exc
        media_type = negotiate(request.headers.get("accept"))
        if media_type != JSON and response.media_type == JSON:
            response.headers["content-type"] = media_type
            if getattr(request.state, "failed_before_execution", False):
                response.status_code = 400
        return response


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readiness_probe(readiness: Readiness) -> Route:
    async def readyz(_: Request) -> Response:
        # The reason goes to the log only: it names files and hosts.
        if await readiness.check() is not None:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return Route("/readyz", readyz, methods=["GET"])


async def _open_database(readiness: Readiness) -> None:
    """Connect now rather than at the first request, and bounded: a connection that fails
    inside Tortoise leaves its lock taken and every later query waiting for ever."""
    async with asyncio.timeout(PROBE_TIMEOUT_SECONDS * 5):
        await get_connection("default").execute_query("SELECT 1")
    readiness.record_opened()


@asynccontextmanager
async def webhook_sender(settings: Settings, drain: Drain) -> AsyncIterator[None]:
    """Deliver webhook events in the background while the server runs, when configured."""
    if not settings.webhooks.enabled:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_sender(settings, stop), name="webhook-sender")
    try:
        yield
    finally:
        stop.set()
        # An event in flight when the server stops is sent again after the restart: its
        # lease runs out, it was never marked delivered.
        done, _ = await asyncio.wait([task], timeout=drain.seconds_left(REQUEST_TIMEOUT_SECONDS))
        if not done:
            task.cancel()
            await asyncio.wait([task], timeout=0.2)
            log.warning("shutting down: stopped the webhook sender in the middle of a delivery")


# Each closing step's bound when no signal started the stop (a test's lifespan).
CLOSE_SECONDS = 10.0


async def _close_quickly(drain: Drain, default_seconds: float, what: str, step: Any) -> bool:
    """Runs a closing step within the stop's budget; False when it was abandoned."""
    try:
        async with asyncio.timeout(drain.seconds_left(default_seconds)):
            await step()
    except TimeoutError:
        log.warning("shutting down: %s did not finish in time; left to the operating system", what)
        return False
    return True


def create_app(
    settings: Settings,
    *,
    manage_database: bool = True,
    tracer_provider: Any = None,
    runtime: Runtime | None = None,
) -> Starlette:
    """`manage_database=False` leaves the database to the caller (the tests' own context).
    `tracer_provider` replaces the one `OTEL_EXPORTER_OTLP_ENDPOINT` would make; `runtime`
    the one `build_runtime(settings)` would make. The runtime is installed now, not at the
    lifespan's start: an app without a lifespan (the tests' transport) serves with it too;
    the lifespan closes it."""
    runtime = (runtime or build_runtime(settings)).install()
    shorten_library_outage_logs()
    # uvicorn makes the protocol from its import path, so the limits are the module's.
    connection_guard.configure(settings)
    tracer_provider = tracer_provider or tracer_provider_from(settings)
    graphql = GatehouseGraphQL(settings, runtime, tracer_provider)
    # Wraps Tortoise's client classes once per process (idempotent); the statements'
    # spans follow the traced request (see TraceRequests).
    instrument_database_clients()
    drain = Drain(settings.shutdown_grace_seconds)
    readiness = Readiness(
        drain,
        sqlite_path(settings.database_url) if manage_database else None,
        limiter=runtime.limiter,
        requires_redis=settings.readiness_requires_redis,
        min_free_disk_mb=settings.min_free_disk_mb,
    )
    graphql.database_file_problem = readiness.file_problem

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await runtime.start()
            if not manage_database:
                yield
                return
            orm = RegisterTortoise(app, config=tortoise_config(settings.database_url))
            await orm.init_orm()
            try:
                await _open_database(readiness)
                drain.install()
                drain.on_start(runtime.signals.stop_subscriptions)
                await runtime.signals.start()
                async with webhook_sender(settings, drain):
                    yield
            finally:
                runtime.signals.stop_subscriptions()
                # Bounded: a connection still waiting on a lock would hold the close, and
                # the stop with it, for as long as the lock lasts.
                closed = await _close_quickly(
                    drain, CLOSE_SECONDS, "closing the database", orm.close_orm
                )
                if closed:
                    log.info("database closed")
            await _close_quickly(drain, CLOSE_SECONDS, "closing Redis", runtime.close)
        finally:
            metrics.forget_this_process()
            if tracer_provider is not None:
                await trace_export.shutdown_tracing(
                    tracer_provider, drain.seconds_left(CLOSE_SECONDS)
                )

    middleware = [
        Middleware(drain.middleware),
        Middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES),
        Middleware(straight_to, path="/graphql", endpoint=graphql),
    ]
    if settings.cors_origins:
        # Credentials travel in headers, never cookies, so no allow_credentials.
        middleware.insert(
            1,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=list(settings.cors_allow_headers),
                # A portal may show the id with an error, for the operator to find the logs.
                expose_headers=["X-Request-ID"],
                max_age=600,
            ),
        )
    if tracer_provider is not None:
        # Around everything but the request log: refusals by the other middleware are
        # traced too, and the span knows the request id.
        middleware.insert(0, Middleware(TraceRequests, tracer_provider=tracer_provider))
    # Outermost, so that every answer (CORS preflights and refused bodies too) is logged,
    # counted and carries its request id and the security headers.
    middleware.insert(0, Middleware(RequestLog))
    routes = [
        # No method list: GraphQL itself answers other methods with a JSON error.
        Route("/graphql", graphql),
        # Subscriptions over graphql-transport-ws (gatehouse.live_transport).
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz, methods=["GET"]),
        readiness_probe(readiness),
        *v1_routes(Services(settings, runtime)),
    ]
    if not settings.is_production:
        routes += graphql.playground.routes()
    if settings.portal_enabled:
        routes += Portal().routes()
    if settings.metrics_token is not None:
        routes.append(Route("/metrics", metrics_endpoint(settings.metrics_token), methods=["GET"]))
    return Starlette(
        middleware=middleware,
        routes=routes,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
    )


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` when serving with several workers: runs in each
    worker process, which gets its logging here."""
    settings = Settings.load()
    configure_logging(settings)
    return create_app(settings)
