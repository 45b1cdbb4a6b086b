"""OpenTelemetry traces over OTLP/HTTP, on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: a
server span per HTTP request that continues the caller's W3C `traceparent`, the GraphQL
operation and its resolvers inside it (schema/observability.py), and a span per database
statement (gatehouse/database_timing.py)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import metrics
from core.config import Settings
from core.observability import current_request
from gatehouse.database_timing import trace_statements

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

MAX_TRACED_PATH = 200
_PROPAGATED_HEADERS = (b"traceparent", b"tracestate")


def tracer_provider_from(settings: Settings) -> TracerProvider | None:
    """One provider per worker process, exporting in batches from a background thread."""
    if settings.otel_exporter_otlp_endpoint is None:
        return None
    # Imported only when tracing is on: the SDK costs start-up time for nothing otherwise.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from gatehouse.trace_export import EXPORT_TIMEOUT_SECONDS

    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or (
        settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    )
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "gatehouse")})
    # Shut down by the lifespan within the stop's bound (gatehouse.trace_export), not by
    # the SDK's own exit hook, which waits up to 30 s for a collector.
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=EXPORT_TIMEOUT_SECONDS)
    provider.add_span_processor(
        BatchSpanProcessor(exporter, export_timeout_millis=EXPORT_TIMEOUT_SECONDS * 1000)
    )
    return provider


class TraceRequests:
    """ASGI middleware: one SERVER span per HTTP request, the parent of everything the
    request does. A W3C `traceparent` (and `tracestate`) from the caller makes it a child
    of the caller's span, so one trace crosses the portal and Gatehouse."""

    def __init__(self, app: ASGIApp, tracer_provider: Any) -> None:
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        self.app = app
        self.tracer_provider = tracer_provider
        self.tracer = tracer_provider.get_tracer("gatehouse.http")
        self.propagator = TraceContextTextMapPropagator()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry.trace import SpanKind, Status, StatusCode

        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _PROPAGATED_HEADERS
        }
        method = scope.get("method", "")
        path = scope.get("path", "")
        # Known routes by name, anything else as one: span names stay few.
        route = metrics.route_label(path)
        attributes: dict[str, str | int] = {
            "http.request.method": method,
            "http.route": route,
            "url.path": path[:MAX_TRACED_PATH],
            "url.scheme": scope.get("scheme", "http"),
        }
        record = current_request()
        if record is not None:
            attributes["gatehouse.request_id"] = record.request_id
        trace_statements(self.tracer_provider)
        with self.tracer.start_as_current_span(
            f"{method} {route}",
            context=self.propagator.extract(carrier),
            kind=SpanKind.SERVER,
            attributes=attributes,
        ) as span:

            async def send_traced(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            await self.app(scope, receive, send_traced)
