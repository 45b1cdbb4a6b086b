"""The GraphQL schema: each domain's Query and Mutation merged into one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema.api_keys import ApiKeyMutation, ApiKeyQuery
from schema.audit import AuditQuery
from schema.documents import DocumentCache, DocumentGuard, DocumentSettings
from schema.errors import ErrorCodes, log_unexpected
from schema.key_changes import KeyChangeMutation
from schema.metrics import MetricsQuery
from schema.observability import OperationRecorder, tracing_extension
from schema.sessions import SessionMutation, SessionQuery
from schema.users import UserMutation, UserQuery

Query = merge_types("Query", (SessionQuery, UserQuery, ApiKeyQuery, MetricsQuery, AuditQuery))
Mutation = merge_types(
    "Mutation", (SessionMutation, UserMutation, ApiKeyMutation, KeyChangeMutation)
)


class GatehouseSchema(strawberry.Schema):
    # Parsed documents and their validation results, shared by every request to this schema.
    document_cache: DocumentCache

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Refusals and bad input are answers, not incidents: log only the unexpected.
        log_unexpected(errors)


def build_schema(
    documents: DocumentSettings | None = None, *, tracer_provider: Any = None
) -> GatehouseSchema:
    """`tracer_provider`: an OpenTelemetry `TracerProvider`; with one, every operation is
    traced through it."""
    documents = documents or DocumentSettings()
    cache = DocumentCache()
    # Factories, so that each request gets fresh extension instances. DocumentGuard parses,
    # limits and validates; it runs after ErrorCodes, so it sees the errors before mapping.
    extensions: list[Callable[[], SchemaExtension]] = [
        OperationRecorder,
        ErrorCodes,
        lambda: DocumentGuard(cache, documents),
    ]
    if documents.production:
        extensions.append(DisableIntrospection)
    if tracer_provider is not None:
        extensions.insert(0, tracing_extension(tracer_provider))
    schema = GatehouseSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=documents.production),
    )
    schema.document_cache = cache
    return schema


def print_schema() -> str:
    return build_schema().as_str() + "\n"


__all__: list[Any] = ["build_schema", "print_schema"]
