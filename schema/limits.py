"""Query limits, measured in one pass that visits each fragment definition once.

Limiters that walk every fragment spread again cost exponential time on fragments that
spread the next one twice. Here each fragment is measured once, in dependency order, and
its measure is reused at every spread, so the pass is linear in the document's size. A
fragment spread twice still counts twice in the depth, aliases and cost it adds: those
describe the work execution would do, which is what the limits bound.

The measure itself (depth, aliases, cost) is `schema.cost`; this module checks the shape of
each definition first (nesting, repeats, spreads), without recursion, so that measuring
never recurses deeper than the depth limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
    value_from_ast_untyped,
)

from core.errors import ErrorCode, GatehouseError
from schema.cost import Measure, Measurer
from schema.errors import graphql_error

MAX_INTROSPECTION_LISTS = 3  # __schema { types { fields { args } } }
MAX_VALUE_NESTING = 8  # list and input-object values inside an argument
# graphql-core compares every pair of fields that share a response name in one selection
# set: 1000 repeats of `me { id }` cost it 3 s. Nothing legitimate repeats a field 10 times.
MAX_REPEATED_FIELD = 10


@dataclass(frozen=True)
class QueryLimits:
    max_depth: int = 15
    max_aliases: int = 30
    max_cost: int = 25_000
    max_fragments: int = 100
    max_spreads: int = 200


def refusal(message: str, nodes: Node | None = None, **details: int) -> GraphQLError:
    return graphql_error(
        GatehouseError(ErrorCode.BAD_USER_INPUT, message, extensions=details), nodes
    )


def check_limits(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: QueryLimits,
    operation_name: str | None = None,
    variables: Mapping[str, object] | None = None,
) -> GraphQLError | None:
    """The first limit the document exceeds, or None. Never recurses deeper than
    `limits.max_depth` (plus constant), whatever the document."""
    shape = check_shape(document, limits)
    if isinstance(shape, GraphQLError):
        return shape
    operation = get_operation_ast(document, operation_name)
    return check_cost(schema, document, shape, limits, operation, variables).error


def check_shape(document: DocumentNode, limits: QueryLimits) -> GraphQLError | list[str]:
    """The limits that do not depend on the variables: the first one exceeded, or the
    fragments' names in dependency order, for `check_cost`."""
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(fragments) > limits.max_fragments:
        return refusal(
            f"The document defines {len(fragments)} fragments; the limit is "
            f"{limits.max_fragments}.",
            limit=limits.max_fragments,
        )
    spreads: dict[str, set[str]] = {}
    spread_count = 0
    definitions: list[OperationDefinitionNode | FragmentDefinitionNode] = [*operations, *fragments]
    for definition in definitions:
        shape = _shape(definition)
        spread_count += len(shape.spreads)
        if spread_count > limits.max_spreads:
            return refusal(
                f"The document has more than {limits.max_spreads} fragment spreads.",
                limit=limits.max_spreads,
            )
        if shape.selection_depth > limits.max_depth or shape.set_nesting > 2 * limits.max_depth:
            return _too_deep(limits.max_depth)
        if shape.repeated_field > MAX_REPEATED_FIELD:
            return refusal(
                f"A selection repeats one field more than {MAX_REPEATED_FIELD} times.",
                limit=MAX_REPEATED_FIELD,
            )
        if shape.value_nesting > MAX_VALUE_NESTING:
            return refusal(
                f"An argument value nests lists or objects deeper than {MAX_VALUE_NESTING}.",
                limit=MAX_VALUE_NESTING,
            )
        if isinstance(definition, FragmentDefinitionNode):
            spreads[definition.name.value] = set(shape.spreads)
    return _dependency_order(spreads)


@dataclass(frozen=True)
class CostCheck:
    error: GraphQLError | None
    # The variables the measure read: another request with the same values for these gets
    # the same answer.
    variables_used: frozenset[str]


def check_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    fragment_order: list[str],
    limits: QueryLimits,
    operation: OperationDefinitionNode | None,
    variables: Mapping[str, object] | None = None,
) -> CostCheck:
    """Depth, aliases and cost of the operation that runs (`get_operation_ast`), with this
    request's variables; of every operation, with every variable at its largest, when none
    can be chosen."""
    values = None if operation is None else _operation_values(operation, variables or {})
    measurer = Measurer(schema, values)
    by_name = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    for name in fragment_order:
        fragment = by_name[name]
        parent = schema.get_type(fragment.type_condition.name.value)
        measurer.fragments[name] = measurer.selections(fragment.selection_set, parent)
    operations = (
        [operation]
        if operation is not None
        else [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    )
    error = None
    for each in operations:
        root = schema.get_root_type(each.operation)
        measure = measurer.selections(each.selection_set, root)
        if error := _compare(measure, limits):
            break
    return CostCheck(error, frozenset(measurer.variables_used))


def _operation_values(
    operation: OperationDefinitionNode, variables: Mapping[str, object]
) -> dict[str, object]:
    """The request's variables over the operation's defaults: what execution will see."""
    values: dict[str, object] = {}
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            values[definition.variable.name.value] = value_from_ast_untyped(
                definition.default_value
            )
    values.update(variables)
    return values


def _compare(measure: Measure, limits: QueryLimits) -> GraphQLError | None:
    if measure.depth > limits.max_depth:
        return _too_deep(limits.max_depth)
    aliases = measure.total_aliases()
    if aliases > limits.max_aliases:
        return refusal(
            f"The operation uses {aliases} aliases; the limit is {limits.max_aliases}.",
            aliases=aliases,
            limit=limits.max_aliases,
        )
    cost = measure.total_cost()
    if cost > limits.max_cost:
        return refusal(
            f"The operation's cost is {cost}; the limit is {limits.max_cost}. Ask for "
            "smaller pages (`first`, `days`) or fewer fields and aliases.",
            cost=cost,
            limit=limits.max_cost,
        )
    if measure.introspection_lists > MAX_INTROSPECTION_LISTS:
        return refusal(
            f"Introspection may nest at most {MAX_INTROSPECTION_LISTS} lists.",
            limit=MAX_INTROSPECTION_LISTS,
        )
    if len(measure.password_fields) > 1:
        return refusal(
            "A request may check at most one password: send one `login` (or `acceptInvitation`) "
            "per request."
        )
    return None


def _too_deep(max_depth: int) -> GraphQLError:
    return refusal(f"The operation nests deeper than {max_depth} levels.", limit=max_depth)


@dataclass
class _Shape:
    selection_depth: int = 0
    set_nesting: int = 0  # every selection set, inline fragments' too
    repeated_field: int = 0  # most fields sharing one response name in one selection
    value_nesting: int = 0
    spreads: list[str] = field(default_factory=list)


def _shape(definition: OperationDefinitionNode | FragmentDefinitionNode) -> _Shape:
    """Nesting and spreads of one definition, walked with an explicit stack: the parser
    accepts nesting far deeper than a recursive walk could follow."""
    shape = _Shape()
    # (node, level, selection sets around it); a level is a field's or a value's nesting
    stack: list[tuple[Node, int, int]] = [(definition.selection_set, 1, 1)]
    shape.repeated_field = _most_repeated(definition.selection_set)
    stack.extend(_values(definition))
    for variable in definition.variable_definitions or ():
        if variable.default_value is not None:
            stack.append((variable.default_value, 1, 0))
    while stack:
        node, level, sets = stack.pop()
        if isinstance(node, SelectionSetNode):
            shape.selection_depth = max(shape.selection_depth, level - 1)
            shape.set_nesting = max(shape.set_nesting, sets)
            stack.extend((selection, level, sets) for selection in node.selections)
        elif isinstance(node, FieldNode):
            stack.extend(_values(node))
            if node.selection_set is not None:
                stack.append((node.selection_set, level + 1, sets + 1))
                repeated = _most_repeated(node.selection_set)
                shape.repeated_field = max(shape.repeated_field, repeated)
        elif isinstance(node, InlineFragmentNode):
            stack.extend(_values(node))
            stack.append((node.selection_set, level, sets + 1))
        elif isinstance(node, FragmentSpreadNode):
            stack.extend(_values(node))
            shape.spreads.append(node.name.value)
        elif isinstance(node, ListValueNode):
            shape.value_nesting = max(shape.value_nesting, level)
            stack.extend((value, level + 1, 0) for value in node.values)
        elif isinstance(node, ObjectValueNode):
            shape.value_nesting = max(shape.value_nesting, level)
            stack.extend((object_field.value, level + 1, 0) for object_field in node.fields)
    return shape


def _most_repeated(selection_set: SelectionSetNode) -> int:
    """Inline fragments' fields belong to the selection around them; each field's selection
    is counted once, where the field is, so this stays linear."""
    counts: Counter[str] = Counter()
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                counts[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
    return max(counts.values(), default=0)


def _values(node: Node) -> Iterator[tuple[Node, int, int]]:
    """The argument values of a field and of the directives on any node."""
    for argument in getattr(node, "arguments", None) or ():
        yield argument.value, 1, 0
    for directive in getattr(node, "directives", None) or ():
        for argument in directive.arguments or ():
            yield argument.value, 1, 0


def _dependency_order(spreads: dict[str, set[str]]) -> list[str] | GraphQLError:
    """Fragments ordered so that each comes after the fragments it spreads (iterative
    depth-first search); a cycle is refused here, before anything follows it."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in spreads:
        if start in state:
            continue
        state[start] = 1
        path: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(spreads[start])))]
        while path:
            name, pending = path[-1]
            child = next(pending, None)
            if child is None:
                path.pop()
                state[name] = 2
                order.append(name)
            elif child not in spreads:
                continue  # an unknown fragment: graphql-core's KnownFragmentNames says so
            elif state.get(child) == 1:
                return refusal(f"Fragment '{child}' spreads itself.")
            elif child not in state:
                state[child] = 1
                path.append((child, iter(sorted(spreads[child]))))
    return order
