"""One log line and one set of metrics per request, tagged with a request id; the
security headers (gatehouse.security_headers) are added to every answer here too.

The id comes from the client's `X-Request-ID` when that is short and plain, so that a
trace can follow a request through a proxy; otherwise one is made. Either way it goes back
in the response's `X-Request-ID` and on every log line written while the request runs.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from functools import lru_cache
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import metrics
from core.errors import code_for_status
from core.observability import RequestRecord, begin_request, end_request
from gatehouse.database_timing import record_pool_figures
from gatehouse.security_headers import add_security_headers

log = logging.getLogger("gatehouse.request")

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_RAW = REQUEST_ID_HEADER.encode()
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MAX_LOGGED_PATH = 200
# The client went away before any answer was sent (mid-body, for instance).
CLIENT_CLOSED = "CLIENT_CLOSED"


def request_id_from(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    # 32 random hex digits, as a UUID's would be. An id needs to be unique, not secret:
    # the process's generator (seeded from the system's, and again after a fork) costs no
    # system call, which under load was a twentieth of a request.
    return f"{random.getrandbits(128):032x}"


def _tag(message: Message, request_id: str) -> None:
    headers = message["headers"]
    if any(name == _REQUEST_ID_RAW for name, _ in headers):
        MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
    else:
        headers.append((_REQUEST_ID_RAW, request_id.encode("latin-1")))


def _outcome_for_status(status: int | None) -> str:
    if status is None:
        return CLIENT_CLOSED
    if status < 400:
        return "OK"
    # Answers that never reached GraphQL (bodies over the limit, unknown paths, failures).
    return code_for_status(status).value


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = RequestRecord(request_id=request_id_from(scope))
        status: int | None = None

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Here rather than in a middleware of their own: one wrapper of `send`
                # less for every request, and every answer still gets them.
                add_security_headers(message)
                _tag(message, record.request_id)
            await send(message)

        token = begin_request(record)
        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            # uvicorn answers 500 for what escapes the app, if nothing was sent yet; a
            # cancellation (the client left) is no answer at all.
            status = 500 if status is None else status
            raise
        finally:
            try:
                _finish(scope, record, status, time.perf_counter() - started)
            finally:
                end_request(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A subscription's connection: one line when it ends, with 101 when it was
        accepted (403 when refused at the handshake) and how long it lasted."""
        started = time.perf_counter()
        record = RequestRecord(request_id=request_id_from(scope))
        status: int | None = None

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "websocket.accept":
                status = 101
                headers = list(message.get("headers") or [])
                headers.append((REQUEST_ID_HEADER.encode(), record.request_id.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "websocket.close" and status is None:
                status = 403
            await send(message)

        token = begin_request(record)
        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            try:
                _finish(scope, record, status, time.perf_counter() - started)
            finally:
                end_request(token)


@lru_cache(maxsize=4096)
def _series(route: str, operation: str, operation_type: str, outcome: str) -> tuple[Any, Any, Any]:
    """The request's series of the three metrics: the labels are few (metrics.route_label
    and operation_label bound them), and looking a series up costs more than counting."""
    return (
        metrics.REQUESTS.labels(route, operation, operation_type, outcome),
        metrics.REQUEST_DURATION.labels(route, operation),
        metrics.DATABASE_DURATION.labels(route),
    )


def _finish(scope: Scope, record: RequestRecord, status: int | None, seconds: float) -> None:
    if record.outcome is None:
        record.outcome = _outcome_for_status(status)
    if (
        record.auth_failure is None
        and record.outcome == "UNAUTHENTICATED"
        and record.principal_kind == "anonymous"
    ):
        record.auth_failure = "missing"
    path = scope.get("path", "")
    route = metrics.route_label(path)
    operation = metrics.operation_label(record.operation_name)
    requests, duration, database = _series(
        route, operation, record.operation_type or "-", record.outcome
    )
    requests.inc()
    duration.observe(seconds)
    database.observe(record.db_seconds)
    if record.auth_failure is not None:
        metrics.AUTHENTICATION_FAILURES.labels(record.auth_failure).inc()
    if record.principal_kind == "api_key":
        metrics.API_KEY_CALLS.inc()
    record_pool_figures()
    if not log.isEnabledFor(logging.INFO):
        return  # the line's fields are gathered only for a line that is written

    raw_path = scope.get("raw_path") or path.encode()
    logged_path = raw_path.decode("latin-1")[:MAX_LOGGED_PATH]
    client = scope.get("client")
    method = scope.get("method") or scope["type"].upper()
    log.info(
        "%s %s %s",
        method,
        logged_path,
        "-" if status is None else status,
        extra={
            "request_id": record.request_id,
            "method": method,
            "path": logged_path,
            "status": status,
            "operation_name": record.operation_name,
            "operation_type": record.operation_type,
            "principal_kind": record.principal_kind,
            "principal_id": record.principal_id,
            "user_id": record.user_id,
            "outcome": record.outcome,
            "auth_failure": record.auth_failure,
            "duration_ms": round(seconds * 1000, 2),
            "db_ms": round(record.db_seconds * 1000, 2),
            "db_statements": record.db_statements,
            "client": client[0] if client else None,
            "pid": os.getpid(),
        },
    )
