"""The GraphQL schema: each domain's Query and Mutation merged into one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import get_object_definition

from schema.allowed_operations import AllowedOperationsQuery
from schema.api_keys import ApiKeyMutation, ApiKeyQuery
from schema.audit import AuditQuery
from schema.documents import DocumentCache, DocumentGuard, DocumentSettings
from schema.errors import ErrorCodes, log_unexpected
from schema.extension_hooks import ExtensionsRunner
from schema.invitations import InvitationMutation, InvitationQuery
from schema.key_changes import KeyChangeMutation
from schema.key_verification import KeyVerificationMutation
from schema.metrics import MetricsQuery
from schema.mfa import MfaMutation
from schema.nodes import NodeQuery
from schema.observability import OperationRecorder, tracing_extension
from schema.passkeys import PasskeyMutation
from schema.read_rules import apply_read_rules
from schema.scalars import SCALAR_OVERRIDES
from schema.service_accounts import ServiceAccountMutation, ServiceAccountQuery
from schema.sessions import SessionMutation, SessionQuery
from schema.subscriptions import Subscription
from schema.text_inputs import check_text_inputs
from schema.usage import UsageQuery
from schema.user_sessions import UserSessionMutation, UserSessionQuery
from schema.users import UserMutation, UserQuery
from schema.variables import RedactingExecutionContext

Query = merge_types(
    "Query",
    (
        NodeQuery,
        SessionQuery,
        UserSessionQuery,
        UserQuery,
        ServiceAccountQuery,
        ApiKeyQuery,
        MetricsQuery,
        UsageQuery,
        AuditQuery,
        AllowedOperationsQuery,
        InvitationQuery,
    ),
)
get_object_definition(
    Query, strict=True
).description = (
    "What can be read. Every field needs a credential and, with an API key, the READ scope."
)
Mutation = merge_types(
    "Mutation",
    (
        SessionMutation,
        UserSessionMutation,
        MfaMutation,
        UserMutation,
        ServiceAccountMutation,
        ApiKeyMutation,
        KeyChangeMutation,
        KeyVerificationMutation,
        PasskeyMutation,
        InvitationMutation,
    ),
)
get_object_definition(
    Mutation, strict=True
).description = (
    "What can be changed. Each field's directives say which roles and API-key scope it needs."
)


apply_read_rules(Query, Mutation)


class GatehouseSchema(strawberry.Schema):
    # Parsed documents and their validation results, shared by every request to this schema.
    document_cache: DocumentCache
    document_settings: DocumentSettings
    # A new tracing extension for each operation, when OpenTelemetry is configured.
    tracing: Callable[[], SchemaExtension] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._describe_directive_arguments()
        check_text_inputs(self._schema)

    def _describe_directive_arguments(self) -> None:
        """Strawberry drops the descriptions of schema-directive arguments (`@requires`'s
        roles and scope); copy them from the directive's own fields into the schema."""
        for directive in self._schema.directives:
            definition = (directive.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            for field in getattr(definition, "fields", ()):
                name = self.config.name_converter.get_graphql_name(field)
                if field.description and name in directive.args:
                    directive.args[name].description = field.description

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)

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
    # limits and validates (without introspection in production: its rule is one of the
    # guard's); it runs after ErrorCodes, so it sees the errors before mapping.
    extensions: list[Callable[[], SchemaExtension]] = [
        OperationRecorder,
        ErrorCodes,
        lambda: DocumentGuard(cache, documents),
    ]
    tracing = None if tracer_provider is None else tracing_extension(tracer_provider)
    if tracing is not None:
        extensions.insert(0, tracing)
    schema = GatehouseSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=documents.production),
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=RedactingExecutionContext,
    )
    schema.document_cache = cache
    schema.document_settings = documents
    schema.tracing = tracing
    return schema


def print_schema() -> str:
    return build_schema().as_str() + "\n"


__all__: list[Any] = ["build_schema", "print_schema"]
