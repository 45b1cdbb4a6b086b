"""`GET /metrics` for Prometheus, on the API's own port, behind `METRICS_TOKEN`.

Without a token the route does not exist (404): figures about traffic and failures are
not for anonymous callers. With several workers each one writes its figures into a shared
directory and the worker that answers a scrape reports the sum (see core/metrics.py).
"""

from __future__ import annotations

import atexit
import hmac
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.datastructures import Secret
from starlette.requests import Request
from starlette.responses import Response

from core.errors import ErrorCode, GatehouseError
from core.metrics import MULTIPROCESS_DIR_VARIABLE, exposition
from gatehouse.error_responses import error_response

UNAUTHENTICATED = GatehouseError(
    ErrorCode.UNAUTHENTICATED,
    "Send Authorization: Bearer <METRICS_TOKEN>.",
    headers={"WWW-Authenticate": "Bearer"},
)


def metrics_endpoint(token: Secret) -> Callable[[Request], Awaitable[Response]]:
    expected = f"Bearer {token}".encode()

    async def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode("latin-1")
        if not hmac.compare_digest(given, expected):
            return error_response(UNAUTHENTICATED)
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    return metrics


def prepare_multiprocess_metrics(workers: int) -> Path | None:
    """Before the workers start: the metrics directory they will share, emptied so that no
    figure of an earlier run is counted. An operator's own directory is used (and emptied)
    when set; otherwise, with several workers, a temporary one is made, exported to the
    workers through the environment and removed when this process exits."""
    configured = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        # This process may already hold its own files open (its metrics exist from import).
        mine = f"_{os.getpid()}.db"
        for stale in directory.glob("*.db"):
            if not stale.name.endswith(mine):
                stale.unlink()
        return directory
    if workers <= 1:
        return None
    made = Path(tempfile.mkdtemp(prefix="gatehouse-metrics-"))
    os.environ[MULTIPROCESS_DIR_VARIABLE] = str(made)
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return made
