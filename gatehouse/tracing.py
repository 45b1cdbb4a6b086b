"""OpenTelemetry traces over OTLP/HTTP, on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import TYPE_CHECKING

from core.config import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger("gatehouse.tracing")

# The exporter's own default is 10 s per batch, retried with backoff within it: a collector
# that does not answer would hold every stop that long or more.
EXPORT_TIMEOUT_SECONDS = 2.0


def tracer_provider_from(settings: Settings) -> TracerProvider | None:
    """One provider per worker process, exporting in batches from a background thread."""
    if settings.otel_exporter_otlp_endpoint is None:
        return None
    # Imported only when tracing is on: the SDK costs start-up time for nothing otherwise.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or (
        settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    )
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "gatehouse")})
    # Shut down by the lifespan, bounded; not again by the SDK's own exit hook.
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=EXPORT_TIMEOUT_SECONDS)
    provider.add_span_processor(
        BatchSpanProcessor(exporter, export_timeout_millis=EXPORT_TIMEOUT_SECONDS * 1000)
    )
    return provider


async def shutdown_tracing(provider: TracerProvider, seconds: float) -> None:
    """Export what is left and stop, for at most `seconds`: the SDK's shutdown waits up to
    30 s for a collector that does not answer. Spans it could not send are dropped."""
    # A daemon thread, not the default executor: Python waits for the executor's threads
    # at exit, and this one may be stuck on the network.
    worker = threading.Thread(target=provider.shutdown, name="tracing-shutdown", daemon=True)
    worker.start()
    waited = 0.0
    while worker.is_alive() and waited < seconds:
        await asyncio.sleep(0.05)
        waited += 0.05
    if worker.is_alive():
        log.warning("shutting down: the trace collector did not answer; unsent spans dropped")
