"""What the request log and the traces learn from GraphQL: operation, caller, outcome."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from contextlib import suppress
from typing import Any

from graphql.error import GraphQLError
from graphql.language import DocumentNode
from strawberry.extensions import LifecycleStep, SchemaExtension
from strawberry.utils.operation import get_operation_type

from auth.principal import Principal
from core.observability import RequestRecord, current_request
from schema.errors import with_code

# Literal strings in a document may be passwords or keys (`login(password: "…")`).
_STRING_LITERAL = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"')


def redact_literals(document: str) -> str:
    return _STRING_LITERAL.sub('"…"', document)


class OperationRecorder(SchemaExtension):
    """Tells the running request's record the operation, the caller and the outcome."""

    def on_operation(self) -> Iterator[None]:
        yield
        record = current_request()
        if record is not None:
            self._record(record)

    def _record(self, record: RequestRecord) -> None:
        context = self.execution_context
        record_operation(
            record,
            context.graphql_document,
            context.operation_name,
            getattr(context.context, "actor", None),
            _errors(context.result) or context.pre_execution_errors or [],
        )


def record_operation(
    record: RequestRecord,
    document: DocumentNode | None,
    operation_name: str | None,
    actor: object,
    errors: list[GraphQLError],
) -> None:
    """`errors`: the result's, or those met before execution."""
    if document is not None:
        # Only a name found in the document is taken: the client's `operationName`
        # may be any text at all.
        with suppress(RuntimeError):
            record.operation_type = get_operation_type(document, operation_name).value
            record.operation_name = operation_name
    if isinstance(actor, Principal):
        if actor.api_key is not None:
            record.principal_kind = "api_key"
            record.principal_id = str(actor.api_key.id)
        else:
            record.principal_kind = "user"
            record.principal_id = str(actor.user_id)
        # None for a service account's key: no person is behind it.
        record.user_id = None if actor.user_id is None else str(actor.user_id)
    record.outcome = str((with_code(errors[0]).extensions or {})["code"]) if errors else "OK"


def _errors(result: Any) -> list[GraphQLError] | None:
    return getattr(result, "errors", None)


def tracing_extension(tracer_provider: Any) -> Callable[[], SchemaExtension]:
    """Strawberry's OpenTelemetry extension, minus what could carry a secret: resolver
    arguments are not recorded, and the document is kept with its string literals blanked."""
    from strawberry.extensions.tracing import OpenTelemetryExtension

    class RedactingOpenTelemetryExtension(OpenTelemetryExtension):
        def on_operation(self) -> Generator[None, None, None]:
            operation = super().on_operation()
            next(operation)
            span = self._span_holder[LifecycleStep.OPERATION]
            span.set_attribute("query", redact_literals(self.execution_context.query or ""))
            yield
            document = self.execution_context.graphql_document
            with suppress(RuntimeError):
                if document is not None:
                    name = self.execution_context.operation_name
                    span.set_attribute(
                        "graphql.operation.type", get_operation_type(document, name).value
                    )
                    span.set_attribute("graphql.operation.name", name or "")
            with suppress(StopIteration):
                next(operation)

    return lambda: RedactingOpenTelemetryExtension(
        arg_filter=lambda _args, _info: {}, tracer_provider=tracer_provider
    )
