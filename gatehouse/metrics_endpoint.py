"""`GET /metrics` for Prometheus, on the API's own port, behind `METRICS_TOKEN`.

Without a token the route does not exist (404): figures about traffic and failures are
not for anonymous callers. With several workers each one writes its figures into a shared
directory and the worker that answers a scrape reports the sum (see core/metrics.py).
"""

from __future__ import annotations

import hmac
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.datastructures import Secret
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.errors import ErrorCode
from core.metrics import MULTIPROCESS_DIR_VARIABLE, exposition


def metrics_endpoint(token: Secret) -> Callable[[Request], Awaitable[Response]]:
    expected = f"Bearer {token}".encode()

    async def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode("latin-1")
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {
                    "errors": [
                        {
                            "message": "Send Authorization: Bearer <METRICS_TOKEN>.",
                            "extensions": {"code": ErrorCode.UNAUTHENTICATED.value},
                        }
                    ]
                },
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    return metrics


@contextmanager
def multiprocess_metrics(workers: int) -> Iterator[None]:
    """For the server's lifetime, a metrics directory its workers share, emptied at start so
    that no figure of an earlier run is counted. An operator's own directory is used (and
    emptied) when set; otherwise a temporary one is made and removed at exit."""
    configured = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        # This process may already hold its own files open (its metrics exist from import).
        mine = f"_{os.getpid()}.db"
        for stale in directory.glob("*.db"):
            if not stale.name.endswith(mine):
                stale.unlink()
        yield
        return
    if workers <= 1:
        yield
        return
    made = tempfile.mkdtemp(prefix="gatehouse-metrics-")
    os.environ[MULTIPROCESS_DIR_VARIABLE] = made
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_DIR_VARIABLE, None)
        shutil.rmtree(made, ignore_errors=True)
