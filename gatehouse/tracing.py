"""OpenTelemetry traces over OTLP/HTTP, on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from core.config import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


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
