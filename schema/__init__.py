"""The GraphQL schema: each domain's Query and Mutation merged into one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

import strawberry
from graphql.error import GraphQLError
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import get_object_definition

from schema.api_keys import ApiKeyMutation, ApiKeyQuery
from schema.errors import ErrorCodes, log_unexpected
from schema.metrics import MetricsQuery
from schema.nodes import NodeQuery
from schema.scalars import SCALAR_OVERRIDES
from schema.sessions import SessionMutation, SessionQuery
from schema.users import UserMutation, UserQuery

Query = merge_types("Query", (NodeQuery, SessionQuery, UserQuery, ApiKeyQuery, MetricsQuery))
get_object_definition(
    Query, strict=True
).description = (
    "What can be read. Every field needs a credential and, with an API key, the READ scope."
)
Mutation = merge_types("Mutation", (SessionMutation, UserMutation, ApiKeyMutation))
get_object_definition(
    Mutation, strict=True
).description = (
    "What can be changed. Each field's directives say which roles and API-key scope it needs."
)


# Built once: the validation cache is keyed by the rule classes, and the limiters' own
# extensions would make new classes for every request and so never hit it.
LIMIT_RULES: list[type[ASTValidationRule]] = [
    depth_validator(max_depth=12, should_ignore=None, callback=None),
    aliases_validator(max_alias_count=30),
]


class ParserCacheKeepingErrors(ParserCache):
    """ParserCache raises syntax errors from inside its hook, past Strawberry's own handling
    and so past the error-code mapping; leave failing documents to Strawberry's parser."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class GatehouseSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._describe_directive_arguments()

    def _describe_directive_arguments(self) -> None:
        """Strawberry drops the descriptions of schema-directive arguments (`@requires`'s
        roles and scope); copy them from the directive's own fields into the schema."""
        for directive in self._schema.directives:
            definition = (directive.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            for field in getattr(definition, "fields", ()):
                name = self.config.name_converter.get_graphql_name(field)
                if field.description and name in directive.args:
                    directive.args[name].description = field.description

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Refusals and bad input are answers, not incidents: log only the unexpected.
        log_unexpected(errors)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    # Factories, so that each request gets fresh extension instances; the parser and
    # validation caches themselves live at module level and are shared.
    extensions: list[Callable[[], SchemaExtension]] = [
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=4000),
        lambda: ParserCacheKeepingErrors(maxsize=256),
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: ValidationCache(maxsize=256),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return GatehouseSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
        scalar_overrides=SCALAR_OVERRIDES,
    )


def print_schema() -> str:
    return build_schema().as_str() + "\n"


__all__: list[Any] = ["build_schema", "print_schema"]
