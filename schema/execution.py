"""One query or mutation, run straight through: parse (cached), the document checks,
graphql-core's execution with the schema's execution context class, the errors' codes,
and the request log's record.

It is what `Schema.execute` does with our extensions (schema/documents.py, errors.py,
observability.py), in the same order and with the same results, without building a
runner, an extension instance per hook and a context manager per step for every
request: in profiles of `{ me { id email } }` that machinery cost about a third of the
request. Strawberry's own execution stays for subscriptions (WebSocket, SSE), where the
extensions run as before. With OpenTelemetry configured, the tracing extension's hooks
are called here at the same steps, so the spans are the same.
"""

from __future__ import annotations

from collections.abc import Collection, Generator
from contextlib import suppress
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, MiddlewareManager, execute, specified_rules
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from core.observability import current_request
from schema.documents import (
    ParsedDocument,
    document_errors,
    hide_suggestions,
    parse_document,
    parse_options,
)
from schema.errors import give_codes, log_unexpected
from schema.observability import record_operation

if TYPE_CHECKING:
    from schema import GatehouseSchema

_RULES = tuple(specified_rules)
# Strawberry's: a quicker test than graphql-core's (typed there as a plain predicate).
_IS_AWAITABLE: Any = optimized_is_awaitable


async def execute_operation(
    schema: GatehouseSchema,
    query: str | None,
    *,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    extensions: dict[str, Any] | None,
    context: Any,
    allowed: Collection[OperationType],
) -> ExecutionResult:
    """The result, its errors with their codes. Raises what Strawberry's `execute` raises
    for a request that names no operation it may run: MissingQueryError,
    CannotGetOperationTypeError, InvalidOperationTypeError."""
    execution = ExecutionContext(
        query=query,
        schema=schema,
        allowed_operations=allowed,
        context=context,
        variables=variables,
        provided_operation_name=operation_name,
        operation_extensions=extensions,
    )
    tracing = _tracing(schema, execution)
    operation = _enter(tracing.on_operation()) if tracing else None
    try:
        result = await _run(schema, execution, tracing)
        actor = getattr(context, "actor", None)
        # The extensions' `on_operation` endings, innermost first.
        hide_suggestions(schema.document_settings, result.errors)
        if result.errors:
            give_codes(result, getattr(context, "response", None))
        record = current_request()
        if record is not None:
            record_operation(
                record,
                execution.graphql_document,
                execution.operation_name,
                actor,
                result.errors or execution.pre_execution_errors or [],
            )
        if operation is not None:
            _leave(operation)
    except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
        raise
    except Exception as exc:  # noqa: BLE001 - Strawberry's answer to a failing step
        error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
        log_unexpected([error])
        return ExecutionResult(data=None, errors=[error])
    if isinstance(result, GraphQLExecutionResult):
        return ExecutionResult(data=result.data, errors=result.errors)
    return result


async def _run(
    schema: GatehouseSchema, execution: ExecutionContext, tracing: SchemaExtension | None
) -> GraphQLExecutionResult | ExecutionResult:
    query = execution.query
    if not query:
        raise MissingQueryError
    context = execution.context
    actor = getattr(context, "actor", None)
    settings = schema.document_settings

    parsing = _enter(tracing.on_parse()) if tracing else None
    try:
        parsed = parse_document(schema.document_cache, query, parse_options(settings, actor))
    except GraphQLError as error:
        if parsing is not None:
            _leave(parsing)
        return _refused(execution, [error])
    if parsing is not None:
        _leave(parsing)
    execution.graphql_document = parsed.document

    try:
        operation_type = execution.operation_type
    except RuntimeError as error:
        raise CannotGetOperationTypeError(execution.operation_name) from error
    if operation_type not in execution.allowed_operations:
        raise InvalidOperationTypeError(operation_type)

    validation = _enter(tracing.on_validate()) if tracing else None
    errors = _document_errors(schema, execution, parsed, actor)
    execution.pre_execution_errors = errors
    if validation is not None:
        _leave(validation)
    if errors:
        return _refused(execution, errors)

    result = execute(
        schema._schema,
        parsed.document,
        middleware=MiddlewareManager(tracing) if tracing else None,
        variable_values=execution.variables,
        operation_name=execution.operation_name,
        context_value=context,
        is_awaitable=_IS_AWAITABLE,
        executor_class=schema.execution_context_class,
        operation_extensions=execution.operation_extensions,
    )
    if isawaitable(result):
        result = await result
    execution.result = result
    if result.errors:
        execution.pre_execution_errors = result.errors
        # Logged as they are, before they get their codes.
        log_unexpected(result.errors)
    return result


def _document_errors(
    schema: GatehouseSchema, execution: ExecutionContext, parsed: ParsedDocument, actor: object
) -> list[GraphQLError]:
    return document_errors(
        schema._schema,
        schema.document_settings,
        parsed,
        actor,
        execution.operation_name,
        execution.variables,
        _RULES,
    )


def _refused(execution: ExecutionContext, errors: list[GraphQLError]) -> ExecutionResult:
    execution.pre_execution_errors = errors
    log_unexpected(errors)
    result = ExecutionResult(data=None, errors=errors)
    execution.result = result
    return result


def _tracing(schema: GatehouseSchema, execution: ExecutionContext) -> SchemaExtension | None:
    if schema.tracing is None:
        return None
    extension = schema.tracing()
    extension.execution_context = execution
    return extension


def _enter(hook: Any) -> Generator[None, None, None]:
    next(hook)
    return hook  # type: ignore[no-any-return]


def _leave(hook: Generator[None, None, None]) -> None:
    with suppress(StopIteration):
        next(hook)
