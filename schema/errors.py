"""The one place where errors become the contract's `extensions.code`.

Domain errors keep their code and message. Documents that fail to parse or validate, and
arguments that fail coercion, are BAD_USER_INPUT. Anything else is a bug: it is logged
with its traceback on the server and answered as a bare INTERNAL, with no trace, SQL or
secret in the response.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Collection, Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from graphql.language import Node
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult

from core.errors import ErrorCode, GatehouseError, bad_input, internal
from core.outage import database_unavailable

log = logging.getLogger("gatehouse.errors")

_CODES = {code.value for code in ErrorCode}
_RECURSION_FRAMES = 8


def graphql_error(
    error: GatehouseError, nodes: Node | Collection[Node] | None = None
) -> GraphQLError:
    """A refusal found before execution (a document's limits, its validation), as an error
    of the result, with the extensions a whole-request refusal would carry."""
    return GraphQLError(error.message, nodes, extensions=error.graphql_extensions())


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, (GatehouseError, InvalidOperationTypeError)):
        return False
    return not (isinstance(original, GraphQLError) and _has_code(original))


def _has_code(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") in _CODES


# A query or mutation sent over WebSocket or SSE (see gatehouse.live_transport).
STREAMS_CARRY_SUBSCRIPTIONS = (
    "Only subscriptions run over WebSocket and SSE; send queries and mutations by HTTP."
)


def with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatehouseError):
        known = original
    elif _has_code(error):
        return error
    elif original is None or isinstance(original, GraphQLError):
        known = bad_input(error.message)
    elif isinstance(original, InvalidOperationTypeError):
        known = bad_input(STREAMS_CARRY_SUBSCRIPTIONS)
    else:
        known = internal()
    return GraphQLError(
        known.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        # The same extensions a whole-request refusal of this error would carry.
        extensions=known.graphql_extensions(),
    )


def log_unexpected(errors: list[GraphQLError]) -> None:
    outage_logged = False
    for error in errors:
        if not is_unexpected(error):
            continue
        original = error.original_error
        outage = database_unavailable(original) if original else None
        if outage is not None:
            if not outage_logged:
                # An outage is not a bug: one line per request, no traceback.
                log.error("database unavailable at %s: %s", error.path, outage)
                outage_logged = True
        elif isinstance(original, RecursionError):
            # A thousand repeated frames say no more than the last few, and fill the log.
            frames = "".join(traceback.format_tb(original.__traceback__, limit=-_RECURSION_FRAMES))
            log.error("unexpected error at %s: %r\n%s", error.path, original, frames)
        else:
            log.error("unexpected error at %s", error.path, exc_info=original)


def any_database_unavailable(errors: list[GraphQLError]) -> bool:
    return any(
        error.original_error is not None and database_unavailable(error.original_error)
        for error in errors
    )


def give_codes(result: Any, response: Any) -> None:
    """Every error of `result` with its code; a database outage makes the answer a 503."""
    if response is not None and any_database_unavailable(result.errors):
        # A load balancer or client retries a 503 elsewhere or later; a 200 it would not.
        response.status_code = 503
    result.errors = [with_code(error) for error in result.errors]


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, ExecutionResult)) and result.errors:
            give_codes(result, getattr(self.execution_context.context, "response", None))

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Each value a subscription sends: its errors get their codes as a query's do.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [with_code(error) for error in errors]
        yield
