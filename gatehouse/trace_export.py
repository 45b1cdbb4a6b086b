"""Bounds on sending traces, so that a collector that does not answer never holds a stop."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger("gatehouse.tracing")

# The exporter's own default is 10 s per batch, retried with backoff within it: a collector
# that does not answer would hold every stop that long or more.
EXPORT_TIMEOUT_SECONDS = 2.0


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
