"""The one builder of error answers, GraphQL or not, and the app's exception handlers.

Every refusal is answered in the shape of a GraphQL request error: one error, no `data`,
`{"errors": [{"message": ..., "extensions": {"code": ..., ...}}]}`, with the error's own
HTTP status and headers (Retry-After, Allow, WWW-Authenticate, Connection). Answers from
the GraphQL endpoint take the media type the client negotiated (GraphQL over HTTP); the
middleware in front of the app answers `application/json`.
"""

from __future__ import annotations

import logging

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from core.errors import GatehouseError, internal, request_refused, unavailable
from core.outage import database_unavailable
from gatehouse.graphql_http import JSON, negotiate

log = logging.getLogger("gatehouse.app")


# The JSON Schema of `error_body`'s answer, kept beside it (the /v1 OpenAPI document names it).
ERROR_BODY_SCHEMA: dict[str, object] = {
    "type": "object",
    "description": "Gatehouse's error shape, as for GraphQL request errors.",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message", "extensions"],
                "properties": {
                    "message": {"type": "string"},
                    "extensions": {
                        "type": "object",
                        "required": ["code"],
                        "properties": {
                            "code": {"type": "string"},
                            "reason": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}


def error_body(error: GatehouseError) -> dict[str, object]:
    return {"errors": [{"message": error.message, "extensions": error.graphql_extensions()}]}


def error_response(error: GatehouseError, media_type: str = JSON) -> Response:
    return JSONResponse(
        error_body(error),
        status_code=error.status_code,
        media_type=media_type,
        headers=error.headers or None,
    )


async def send_error(
    error: GatehouseError, scope: Scope, receive: Receive, send: Send, media_type: str = JSON
) -> None:
    """For pure-ASGI middleware that answers before the app is reached."""
    await error_response(error, media_type)(scope, receive, send)


def unexpected(exc: Exception) -> GatehouseError:
    """What a request that failed with `exc` before execution is answered with, logged
    here: a database outage is one line and a 503 a client may retry; anything else is a
    bug, logged with its traceback and answered as a bare INTERNAL. Call from the except
    block, where the traceback is."""
    outage = database_unavailable(exc)
    if outage is None:
        log.exception("request failed before execution")
        return internal()
    log.error("database unavailable: %s", outage)
    return unavailable()


def _media_type(request: Request) -> str:
    return negotiate(request.headers.get("accept"))


async def on_gatehouse_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, GatehouseError):  # registered for GatehouseError only
        raise exc
    return error_response(exc, _media_type(request))


async def on_http_exception(request: Request, exc: Exception) -> Response:
    """Strawberry's refusals (bodies that are not JSON, wrong content types, wrong
    methods), in the same shape as every other error."""
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    allow = {"Allow": "POST" if request.method == "GET" else "GET, POST"}
    error = request_refused(exc.status_code, exc.reason, allow if exc.status_code == 405 else None)
    return error_response(error, _media_type(request))


EXCEPTION_HANDLERS = {GatehouseError: on_gatehouse_error, HTTPException: on_http_exception}
