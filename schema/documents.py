"""Every document on its way in: parsed once into a cache bounded in size, refused early by
the query limits, gated for callers without a credential, then validated by the rules of
the GraphQL specification, with suggestions hidden in production.

Replaces Strawberry's MaxTokensLimiter, ParserCache, ValidationCache and its depth and alias
limiters, whose caches are bounded by entries (256 documents of 40 KB held ~700 MB of syntax
trees) and whose limiters re-walk every fragment spread.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    parse,
    validate,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from auth.principal import Anonymous, Principal, credential_refusal
from auth.restrictions import allows, restriction_error
from core.config import Settings
from core.errors import bad_input, internal, unauthenticated
from schema.cost import LARGEST_PAGE
from schema.errors import graphql_error
from schema.limits import CostCheck, QueryLimits, check_cost, check_shape
from schema.variables import without_literal_values

log = logging.getLogger("gatehouse.documents")

# A syntax tree takes 100 to 125 times the bytes of its text: these bound the cache to about
# 32 MB. Larger documents are parsed for each request and never kept.
CACHE_TEXT_BYTES = 256 * 1024
MAX_CACHED_DOCUMENT_BYTES = 16 * 1024

ANONYMOUS_MAX_FRAGMENTS = 10
ANONYMOUS_MAX_SPREADS = 30
# What a caller without a credential may send: signing in, by password, by passkey, or by
# accepting an invitation.
_SIGN_IN_FIELDS = frozenset({"login", "beginPasskeyLogin", "passkeyLogin", "acceptInvitation"})
_ANONYMOUS_ROOT_FIELDS = _SIGN_IN_FIELDS | {"__typename"}
_NOT_VALID = "The document is not valid."
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")
_RulesKey = tuple[tuple[type[ASTValidationRule], ...], bool]
# Distinct values of a document's page-size variables kept per operation: a portal sends a
# few page sizes; a caller cycling through many only re-measures, in one linear pass.
COST_RESULTS_PER_OPERATION = 16
_MISSING = object()


def _cost_key(value: object) -> object:
    """What of a variable's value the measure reads: a page size (clamped as the measure
    clamps it), a list's length, or only its kind."""
    if value is None or value is _MISSING:
        return value
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return min(max(value, 0), LARGEST_PAGE)
    if isinstance(value, list):
        return ("list", len(value))
    return type(value).__name__


@dataclass(frozen=True)
class DocumentSettings:
    limits: QueryLimits = field(default_factory=QueryLimits)
    max_tokens: int = 4000
    max_anonymous_tokens: int = 1000
    production: bool = False

    @property
    def anonymous_limits(self) -> QueryLimits:
        """Callers without a credential may send `login` and `acceptInvitation` (and, in
        development, GraphiQL's introspection): a few fragments are plenty, and they bound
        the specified rules' pairwise comparisons of fragments, which grow with the square
        of their number."""
        return replace(
            self.limits,
            max_fragments=min(self.limits.max_fragments, ANONYMOUS_MAX_FRAGMENTS),
            max_spreads=min(self.limits.max_spreads, ANONYMOUS_MAX_SPREADS),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentSettings:
        limits = settings.query_limits
        return cls(
            limits=QueryLimits(
                max_depth=limits.max_depth,
                max_aliases=limits.max_aliases,
                max_cost=limits.max_cost,
                max_fragments=limits.max_fragments,
                max_spreads=limits.max_spreads,
            ),
            max_tokens=limits.max_tokens,
            max_anonymous_tokens=limits.max_anonymous_tokens,
            production=settings.is_production,
        )


@dataclass
class CostResults:
    """The cost checks of one operation of a document under one set of limits. The measure
    depends on the values of a few variables (`variables_used`, the same for every request):
    its result is kept per distinct value of those, a few at most."""

    variables_used: tuple[str, ...] | None = None
    by_values: OrderedDict[tuple[object, ...], GraphQLError | None] = field(
        default_factory=OrderedDict
    )

    def check(
        self,
        variables: Mapping[str, object],
        measure: Callable[[], CostCheck],
    ) -> GraphQLError | None:
        key = self._key(variables)
        if key is not None and key in self.by_values:
            self.by_values.move_to_end(key)
            return self.by_values[key]
        checked = measure()
        self.variables_used = tuple(sorted(checked.variables_used))
        self.by_values[self._key(variables) or ()] = checked.error
        while len(self.by_values) > COST_RESULTS_PER_OPERATION:
            self.by_values.popitem(last=False)
        return checked.error

    def _key(self, variables: Mapping[str, object]) -> tuple[object, ...] | None:
        if self.variables_used is None:
            return None
        return tuple(_cost_key(variables.get(name, _MISSING)) for name in self.variables_used)


@dataclass
class ParsedDocument:
    document: DocumentNode
    size: int
    shapes: dict[QueryLimits, GraphQLError | list[str]] = field(default_factory=dict)
    # By the operation that runs (its position in the document), not by the name a request
    # gives: names that match nothing would otherwise grow this without bound.
    costs: dict[tuple[QueryLimits, int | None], CostResults] = field(default_factory=dict)
    validation: dict[_RulesKey, list[GraphQLError]] = field(default_factory=dict)

    def check_limits(
        self,
        schema: GraphQLSchema,
        limits: QueryLimits,
        operation_name: str | None = None,
        variables: Mapping[str, object] | None = None,
    ) -> GraphQLError | None:
        """The shape once per document; the cost once per operation and distinct values of
        the variables it reads, so that a variable never hides a cost."""
        if limits not in self.shapes:
            self.shapes[limits] = check_shape(self.document, limits)
        shape = self.shapes[limits]
        if isinstance(shape, GraphQLError):
            return shape
        variables = variables or {}
        operation = get_operation_ast(self.document, operation_name)
        position = next(
            (i for i, each in enumerate(self.document.definitions) if each is operation), None
        )
        key = (limits, position)
        results = self.costs.get(key)
        if results is None:
            results = self.costs[key] = CostResults()
        return results.check(
            variables,
            lambda: check_cost(schema, self.document, shape, limits, operation, variables),
        )

    def validate(
        self,
        schema: GraphQLSchema,
        rules: tuple[type[ASTValidationRule], ...],
        *,
        hide_suggestions: bool,
    ) -> list[GraphQLError]:
        key = (rules, hide_suggestions)
        if key not in self.validation:
            all_rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
            self.validation[key] = validate(
                schema, self.document, all_rules, hide_suggestions=hide_suggestions
            )
        return self.validation[key]


class DocumentCache:
    """Least recently used, bounded by the bytes of the documents' text."""

    def __init__(
        self,
        max_bytes: int = CACHE_TEXT_BYTES,
        max_document_bytes: int = MAX_CACHED_DOCUMENT_BYTES,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_document_bytes = max_document_bytes
        self.size = 0
        self._entries: OrderedDict[str, ParsedDocument] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> ParsedDocument | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def add(self, query: str, document: DocumentNode) -> ParsedDocument:
        entry = ParsedDocument(document=document, size=len(query.encode()))
        if entry.size > self.max_document_bytes or query in self._entries:
            return entry
        self._entries[query] = entry
        self.size += entry.size
        while self.size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.size -= evicted.size
        return entry


def parse_options(settings: DocumentSettings, actor: object) -> dict[str, Any]:
    """The parser's bounds for this caller: fewer tokens without a credential."""
    tokens = settings.max_anonymous_tokens if _anonymous(actor) else settings.max_tokens
    return {"max_lexical_tokens": tokens, "max_comments": tokens}


def parse_document(cache: DocumentCache, query: str, options: dict[str, Any]) -> ParsedDocument:
    """The document from the cache, or parsed and added to it; GraphQLError when it does
    not parse."""
    parsed = cache.get(query)
    if parsed is None:
        parsed = cache.add(query, parse(query, **options))
    return parsed


def document_errors(
    schema: GraphQLSchema,
    settings: DocumentSettings,
    parsed: ParsedDocument,
    actor: object,
    operation_name: str | None,
    variables: object,
    validation_rules: tuple[type[ASTValidationRule], ...],
) -> list[GraphQLError]:
    """What refuses the document before execution: the credential gate, a restriction,
    the query limits, then the specification's rules; empty when it may run."""
    try:
        return _errors(schema, settings, parsed, actor, operation_name, variables, validation_rules)
    except Exception:  # a bug in these checks: say INTERNAL, log it once and short
        log.error("checking a document failed", exc_info=True, stack_info=False)
        return [graphql_error(internal())]


def hide_suggestions(settings: DocumentSettings, errors: list[GraphQLError] | None) -> None:
    if settings.production and errors:
        # Strawberry hides field suggestions only; graphql-core suggests arguments, input
        # fields and enum values too, also while coercing variables during execution.
        for error in errors:
            error.message = _SUGGESTION.sub("", error.message)


def _errors(
    schema: GraphQLSchema,
    settings: DocumentSettings,
    parsed: ParsedDocument,
    actor: object,
    operation_name: str | None,
    variables: object,
    validation_rules: tuple[type[ASTValidationRule], ...],
) -> list[GraphQLError]:
    if refusal := _credential_refusal(settings, parsed.document, actor, operation_name):
        return [refusal]
    anonymous = _anonymous(actor)
    limits = settings.anonymous_limits if anonymous else settings.limits
    given = variables if isinstance(variables, Mapping) else None
    if limit_error := parsed.check_limits(schema, limits, operation_name, given):
        return [limit_error]
    rules = _validation_rules(validation_rules, settings.production)
    errors = parsed.validate(schema, rules, hide_suggestions=settings.production)
    if errors and settings.production and anonymous:
        # Messages name types, fields and arguments: nothing for a caller without a key.
        return [graphql_error(bad_input(_NOT_VALID), errors[0].nodes)]
    return errors


@lru_cache(maxsize=8)
def _validation_rules(
    rules: tuple[type[ASTValidationRule], ...], production: bool
) -> tuple[type[ASTValidationRule], ...]:
    """The rules a document is validated by (once per set of rules, not per request)."""
    rules = without_literal_values(rules)
    return (*rules, NoSchemaIntrospectionCustomRule) if production else rules


def _credential_refusal(
    settings: DocumentSettings, document: DocumentNode, actor: object, operation_name: str | None
) -> GraphQLError | None:
    """Without a valid credential, only signing in (`login`, the passkey sign-in's two
    mutations, `acceptInvitation`): refused before validation, so a caller without one
    learns nothing about the schema, and costs next to nothing."""
    if isinstance(actor, Principal):
        return _restriction_refusal(actor, document, operation_name)
    rejected = isinstance(actor, Anonymous) and actor.rejected
    if not (rejected or settings.production):
        return None  # development: GraphiQL introspects before anyone signs in
    if _is_sign_in(document, operation_name):
        return None
    if isinstance(actor, Anonymous) and actor.rejected:
        return graphql_error(credential_refusal(actor))
    return graphql_error(unauthenticated())


def _restriction_refusal(
    principal: Principal, document: DocumentNode, operation_name: str | None
) -> GraphQLError | None:
    """A restricted session (auth.restrictions) may send only documents whose every root
    field its restriction allows: by field name, so aliases change nothing; fragments
    are followed; an unknown fragment counts as a field it may not call. Refused
    whole, before validation, whichever way the document came (GET, POST, trusted)."""
    restriction = principal.restriction
    if restriction is None:
        return None
    operation = get_operation_ast(document, operation_name)
    operations = (
        [operation]
        if operation is not None
        else [each for each in document.definitions if isinstance(each, OperationDefinitionNode)]
    )
    names: set[str] = set()
    for each in operations:
        names |= _root_field_names(document, each.selection_set)
    if allows(restriction, names):
        return None
    return graphql_error(restriction_error(restriction))


def _anonymous(actor: object) -> bool:
    return not isinstance(actor, Principal)


class DocumentGuard(SchemaExtension):
    """The checks above as a Strawberry extension, for the operations Strawberry runs
    (subscriptions over WebSocket and SSE); schema.execution calls them itself."""

    def __init__(self, cache: DocumentCache, settings: DocumentSettings) -> None:
        self.cache = cache
        self.settings = settings
        self.parsed: ParsedDocument | None = None

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None:
            hide_suggestions(self.settings, result.errors)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # Also the options of Strawberry's own parse, which runs when this one failed and
        # reports the syntax error in the usual way.
        options: dict[str, Any] = context.parse_options  # type: ignore[assignment]
        options.update(parse_options(self.settings, self._actor()))
        if context.graphql_document is None and context.query:
            try:
                self.parsed = parse_document(self.cache, context.query, options)
            except GraphQLError:
                yield
                return
            context.graphql_document = self.parsed.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is None:  # Strawberry validates only parsed documents
            context.pre_execution_errors = []
        else:
            context.pre_execution_errors = document_errors(
                context.schema._schema,
                self.settings,
                self.parsed or ParsedDocument(document=document, size=0),
                self._actor(),
                context.operation_name,
                context.variables,
                tuple(context.validation_rules),
            )
        yield

    def _actor(self) -> Any:
        return getattr(self.execution_context.context, "actor", None)


def _is_sign_in(document: DocumentNode, operation_name: str | None) -> bool:
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.MUTATION:
        return False
    names = _root_field_names(document, operation.selection_set)
    return bool(names & _SIGN_IN_FIELDS) and names <= _ANONYMOUS_ROOT_FIELDS


def _root_field_names(document: DocumentNode, selection_set: SelectionSetNode) -> set[str]:
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    names: set[str] = set()
    seen: set[str] = set()
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)
                elif name not in fragments:
                    names.add("...")  # an unknown fragment: not a login
    return names
