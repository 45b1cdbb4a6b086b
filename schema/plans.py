"""Queries executed from a plan compiled once per document, not by graphql-core's general
executor.

For every field of every row, graphql-core's executor works out again what the document
already settles: the field's definition and resolver, the shape of its type, the fields its
selection collects, and it builds a resolve info even for the plain attribute reads that
make most of a list page. That was two thirds of a list page's time. A plan does those steps
once per operation of a cached document (and per values of the variables @skip and
@include read); at run time a field without a resolver is an attribute read with no info,
and every other resolver gets the info graphql-core would give it (permissions, read rules,
DataLoaders and `info.context` see no difference). Values, errors and null propagation are
completed as graphql-core completes them, in the same order, with the executor's own
methods for errors and for every rare case (a tuple for a list, an awaitable `is_type_of`).

What a plan does not cover is executed by graphql-core, decided when the plan is compiled:
mutations and subscriptions, introspection's `__schema` and `__type`, directives on the
operation, fragment variables, @defer/@stream, and requests with middleware (a tracing
extension that resolves), an abort signal or execution hooks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution import ExecutionResult
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.executor import (
    Executor,
    collect_iterator_awaitables,
    invalid_return_type_error,
)
from graphql.execution.values import get_argument_values
from graphql.language import Visitor, visit
from graphql.pyutils import Path, Undefined, gather_with_cancel
from graphql.type.introspection import TypeNameMetaFieldDef
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry.types.field import StrawberryField

# Plans kept per operation: one for each distinct value of the variables its @skip and
# @include read. An operation whose switches take more values is executed by graphql-core.
MAX_PLANS_PER_OPERATION = 16
_PLANS = "_gatehouse_plans"
_SWITCHES = frozenset({"skip", "include"})
# Leaf serializers that return a value of this exact type unchanged.
_IDENTITY: dict[Callable[..., Any], type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
}
_IMMUTABLE = (str, int, float, bool, type(None))

Run = Executor[Any]
Completer = Callable[[Run, "FieldPlan", Any, Path, Any], Any]


class UnsupportedError(Exception):
    """Something a plan does not cover: graphql-core executes the operation."""


class FieldPlan:
    """One response key of a selection on one object type."""

    __slots__ = (
        "args",
        "attribute",
        "complete",
        "details",
        "field_def",
        "getter",
        "key",
        "name",
        "needs_info",
        "nodes",
        "nullable",
        "parent_name",
        "parent_type",
        "plain",
        "resolve",
        "return_type",
        "unchanged",
    )

    def __init__(
        self, key: str, parent_type: GraphQLObjectType, field_def: GraphQLField, details: Any
    ) -> None:
        self.key = key
        self.parent_type = parent_type
        self.parent_name = parent_type.name
        self.field_def = field_def
        self.return_type = field_def.type
        self.details: list[FieldDetails] = details
        self.nodes: list[FieldNode] = [each.node for each in details]
        self.name = self.nodes[0].name.value
        self.resolve = field_def.resolve
        self.getter: Callable[[Any, str], Any] | None = None
        self.attribute = ""
        self.args: dict[str, Any] | None = None
        self.needs_info = False
        self.complete: Completer = _unset
        # An attribute read that needs no info; values of type `unchanged` complete to
        # themselves, and so does None when the field is nullable.
        self.plain = False
        self.unchanged: type = _Never
        self.nullable = not is_non_null_type(self.return_type)


class _Never:
    """The type of no value."""


def _unset(*_args: Any) -> Any:  # pragma: no cover - replaced while compiling
    raise AssertionError


class OperationPlan:
    __slots__ = ("fields",)

    def __init__(self, fields: tuple[FieldPlan, ...]) -> None:
        self.fields = fields


class OperationPlans:
    """The plans of one operation, by the values of the variables its switches read."""

    __slots__ = ("by_values", "switches")

    def __init__(self, switches: tuple[str, ...]) -> None:
        self.switches = switches
        self.by_values: dict[tuple[Any, ...], OperationPlan | None] = {}


def plan_for(executor: Run) -> OperationPlan | None:
    """The plan of the executor's operation, compiled on first use; None: graphql-core
    executes it."""
    if not _plannable_request(executor):
        return None
    # On the operation's node, which lives as long as its cached document; by identity,
    # since nodes hash by their whole subtree.
    attributes = getattr(executor.operation, "__dict__", None)
    if attributes is None:
        return None
    by_schema: dict[GraphQLSchema, OperationPlans] = attributes.setdefault(_PLANS, {})
    plans = by_schema.get(executor.schema)
    if plans is None:
        plans = by_schema[executor.schema] = OperationPlans(_switch_variables(executor))
    coerced = executor.variable_values.coerced
    try:
        values = tuple(coerced.get(name) for name in plans.switches)
        if values in plans.by_values:
            return plans.by_values[values]
    except TypeError:  # an unhashable value: never a Boolean's
        return None
    if len(plans.by_values) >= MAX_PLANS_PER_OPERATION:
        return None
    try:
        plan: OperationPlan | None = _compile_operation(executor)
    except Exception:  # noqa: BLE001 - graphql-core executes it, and reports what it finds
        plan = None
    plans.by_values[values] = plan
    return plan


def _plannable_request(executor: Run) -> bool:
    operation = executor.operation
    middleware = executor.middleware_manager
    return (
        operation.operation is OperationType.QUERY
        and not operation.directives
        and (middleware is None or not middleware.middlewares)
        and executor.abort_signal is None
        and executor.hooks is None
        and executor.error_propagation
    )


def _switch_variables(executor: Run) -> tuple[str, ...]:
    """The variables that @skip and @include read in the operation or its fragments."""
    names: dict[str, None] = {}

    class Switches(Visitor):
        def enter_directive(self, node: Any, *_args: Any) -> None:
            if node.name.value in _SWITCHES:
                for argument in node.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names[argument.value.name.value] = None

    visit(executor.operation, Switches())
    for fragment in executor.fragment_definitions.values():
        visit(fragment, Switches())
    return tuple(names)


def _compile_operation(executor: Run) -> OperationPlan:
    if any(each.variable_signatures for each in executor.fragments.values()):
        raise UnsupportedError  # fragment variables
    _refuse_incremental(executor.operation.selection_set, executor)
    root_type = executor.schema.get_root_type(executor.operation.operation)
    if root_type is None:
        raise UnsupportedError
    collected = collect_fields(
        executor.schema,
        executor.fragments,
        executor.variable_values,
        root_type,
        executor.operation,
        executor.hide_suggestions,
    )
    if collected.new_defer_usages:
        raise UnsupportedError
    return OperationPlan(_compile_fields(executor, root_type, collected.grouped_field_set))


def _refuse_incremental(selection_set: SelectionSetNode, executor: Run) -> None:
    """@defer and @stream are not in this schema, so validation refuses them; were they
    ever added, graphql-core executes their documents."""

    class Incremental(Visitor):
        def enter_directive(self, node: Any, *_args: Any) -> None:
            if node.name.value in ("defer", "stream"):
                raise UnsupportedError

    visit(selection_set, Incremental())
    for fragment in executor.fragment_definitions.values():
        visit(fragment, Incremental())


def _compile_fields(
    executor: Run, parent_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]
) -> tuple[FieldPlan, ...]:
    schema = executor.schema
    fields = []
    for key, details in grouped.items():
        name = details[0].node.name.value
        if name in ("__schema", "__type"):
            raise UnsupportedError
        field_def = schema.get_field(parent_type, name)
        if field_def is None:
            continue  # graphql-core leaves it out of the result too
        field = FieldPlan(key, parent_type, field_def, details)
        _compile_resolver(executor, field)
        field.complete, field.needs_info = _compile_type(executor, field, field.return_type)
        field.plain = field.getter is not None and not field.needs_info
        named = get_nullable_type(field.return_type)
        if is_leaf_type(named):
            field.unchanged = _IDENTITY.get(getattr(named, "coerce_output_value", _Never), _Never)
        fields.append(field)
    return tuple(fields)


def _compile_resolver(executor: Run, field: FieldPlan) -> None:
    field_def = field.field_def
    if field_def is TypeNameMetaFieldDef:
        field.getter, field.attribute = _constant, field.parent_name
        return
    resolve = field.resolve
    if resolve is None:
        raise UnsupportedError  # Strawberry gives every field a resolver
    attribute = _attribute_read(resolve)
    if attribute is not None:
        field.getter, field.attribute = attribute
        return
    node = field.details[0].node
    if not (field_def.args or node.arguments):
        field.args = {}
        field.resolve = _direct_resolver(resolve) or resolve
    elif not _reads_variables(node):
        # Literals only: the same arguments for every request, when they are immutable.
        args = get_argument_values(
            field_def,
            node,
            executor.variable_values,
            field.details[0].fragment_variable_values,
            executor.hide_suggestions,
        )
        if all(isinstance(value, _IMMUTABLE) for value in args.values()):
            field.args = args


def _constant(_source: Any, value: str) -> str:
    return value


def _attribute_read(resolve: Callable[..., Any]) -> tuple[Callable[[Any, str], Any], str] | None:
    """Strawberry's resolver of a field without one (`_get_basic_result`) reads an
    attribute with the field's default resolver and needs no info: the same read, without
    the two calls around it."""
    if not getattr(resolve, "_is_default", False):
        return None
    code = getattr(resolve, "__code__", None)
    closure = getattr(resolve, "__closure__", None)
    if code is None or closure is None or code.co_freevars != ("field",):
        return None
    field = closure[0].cell_contents
    if not isinstance(field, StrawberryField) or field.base_resolver is not None:
        return None
    return field.default_resolver, field.python_name


def _direct_resolver(resolve: Callable[..., Any]) -> Callable[..., Any] | None:
    """Strawberry's `_resolver` of a sync field with a resolver, no arguments, no field
    extensions and no exception handlers does, besides calling the resolver, only what
    it does for every field: convert no arguments, pass the source and the Strawberry info
    to the parameters that ask for them, and chain no extensions. The same call, made
    directly (the `id` of every Relay node)."""
    if getattr(resolve, "__name__", None) != "_resolver" or getattr(resolve, "_is_default", True):
        return None
    cells = _cells(resolve)
    to_info, handlers = (
        cells.get("_strawberry_info_from_graphql"),
        cells.get("field_exception_handlers"),
    )
    if to_info is None or handlers is None or handlers.cell_contents:
        return None
    info_of = to_info.cell_contents
    field_cell = _cells(info_of).get("field")
    field = None if field_cell is None else field_cell.cell_contents
    if not isinstance(field, StrawberryField) or field.extensions or field.arguments:
        return None
    resolver = field.base_resolver
    if resolver is None or field.is_async:
        return None
    pass_self = resolver.self_parameter is not None
    source_names = [
        parameter.name
        for parameter in (resolver.parent_parameter, resolver.root_parameter)
        if parameter is not None
    ]
    info_name = None if resolver.info_parameter is None else resolver.info_parameter.name
    get_result = field.get_result

    def call(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        strawberry_info = info_of(info)
        kwargs = dict.fromkeys(source_names, source)
        if info_name is not None:
            kwargs[info_name] = strawberry_info
        args = [source] if pass_self else []
        return get_result(source, info=strawberry_info, args=args, kwargs=kwargs)

    return call


def _cells(function: Callable[..., Any]) -> dict[str, Any]:
    code = getattr(function, "__code__", None)
    closure = getattr(function, "__closure__", None) or ()
    return {} if code is None else dict(zip(code.co_freevars, closure, strict=False))


def _reads_variables(node: FieldNode) -> bool:
    found = False

    class Variables(Visitor):
        def enter_variable(self, *_args: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, Variables())
    return found


def _compile_type(
    executor: Run, field: FieldPlan, type_: GraphQLOutputType
) -> tuple[Completer, bool]:
    """How a value of `type_` is completed, and whether that needs the field's info."""
    if is_non_null_type(type_):
        inner, needs_info = _compile_type(executor, field, type_.of_type)
        return _non_null(inner, field), needs_info
    if is_list_type(type_):
        item_type = type_.of_type
        inner, needs_info = _compile_type(executor, field, item_type)
        return _list(inner, type_, item_type), needs_info
    if is_leaf_type(type_):
        return _leaf(type_), False
    if is_object_type(type_):
        object_type = type_
        return _object(executor, field, object_type, _nullable=True), bool(object_type.is_type_of)
    if is_abstract_type(type_):
        return _abstract(executor, field, type_), True
    raise UnsupportedError


def _non_null(inner: Completer, field: FieldPlan) -> Completer:
    message = f"Cannot return null for non-nullable field {field.parent_type}.{field.name}."

    def complete(executor: Run, field: FieldPlan, info: Any, path: Path, result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        completed = inner(executor, field, info, path, result)
        if completed is None:
            raise TypeError(message)
        return completed

    return complete


def _leaf(leaf_type: GraphQLLeafType) -> Completer:
    coerce = getattr(leaf_type, "coerce_output_value", None)
    unchanged = _IDENTITY.get(coerce, _Never) if coerce is not None else _Never
    complete_leaf_value = Executor.complete_leaf_value

    def complete(_executor: Run, _field: FieldPlan, _info: Any, _path: Path, result: Any) -> Any:
        if type(result) is unchanged:
            return result
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        return complete_leaf_value(leaf_type, result)

    return complete


def _list(item: Completer, list_type: GraphQLList[Any], item_type: GraphQLOutputType) -> Completer:
    def complete(executor: Run, field: FieldPlan, info: Any, path: Path, result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        if type(result) is not list:  # iterables and async iterables as graphql-core does
            return executor.complete_list_value(
                list_type, field.details, _info(executor, field, info, path), path, result, None
            )
        return _complete_items(executor, field, info, path, result, item, item_type)

    return complete


def _complete_items(
    executor: Run,
    field: FieldPlan,
    info: Any,
    path: Path,
    items: list[Any],
    item: Completer,
    item_type: GraphQLOutputType,
) -> Any:
    is_awaitable = executor.is_awaitable
    completed_results: list[Any] = []
    append = completed_results.append
    awaitable_indices: list[int] = []
    iterator = iter(items)
    index = 0
    try:
        for value in iterator:
            item_path = Path(path, index, None)
            if is_awaitable(value):
                append(_awaitable_item(executor, field, info, item_path, value, item, item_type))
                awaitable_indices.append(index)
            else:
                try:
                    completed = item(executor, field, info, item_path, value)
                    if is_awaitable(completed):
                        append(_awaited_item(executor, field, item_path, completed, item_type))
                        awaitable_indices.append(index)
                    else:
                        append(completed)
                except Exception as raw_error:  # noqa: BLE001 - a field error, located as graphql-core does
                    executor.handle_field_error(raw_error, item_type, field.details, item_path)
                    append(None)
            index += 1
    except Exception:
        pending = [completed_results[index] for index in awaitable_indices]
        pending.extend(collect_iterator_awaitables(iterator, is_awaitable))
        if pending:
            executor.settle_in_background(pending)
        raise
    if not awaitable_indices:
        return completed_results

    async def get_completed_results() -> list[Any]:
        if len(awaitable_indices) == 1:
            index = awaitable_indices[0]
            completed_results[index] = await completed_results[index]
        else:
            awaited = await gather_with_cancel(
                *(completed_results[index] for index in awaitable_indices)
            )
            for index, sub_result in zip(awaitable_indices, awaited, strict=True):
                completed_results[index] = sub_result
        return completed_results

    return get_completed_results()


async def _awaitable_item(
    executor: Run,
    field: FieldPlan,
    info: Any,
    path: Path,
    value: Awaitable[Any],
    item: Completer,
    item_type: GraphQLOutputType,
) -> Any:
    try:
        completed = item(executor, field, info, path, await value)
        if executor.is_awaitable(completed):
            completed = await completed
    except Exception as raw_error:  # noqa: BLE001 - a field error, located as graphql-core does
        executor.handle_field_error(raw_error, item_type, field.details, path)
        return None
    return completed


async def _awaited_item(
    executor: Run,
    field: FieldPlan,
    path: Path,
    completed: Awaitable[Any],
    item_type: GraphQLOutputType,
) -> Any:
    try:
        return await completed
    except Exception as raw_error:  # noqa: BLE001 - a field error, located as graphql-core does
        executor.handle_field_error(raw_error, item_type, field.details, path)
        return None


def _object(
    executor: Run, field: FieldPlan, object_type: GraphQLObjectType, *, _nullable: bool
) -> Completer:
    collected = collect_subfields(
        executor.schema,
        executor.fragments,
        executor.variable_values,
        executor.operation,
        object_type,
        field.details,
        executor.hide_suggestions,
    )
    if collected.new_defer_usages:
        raise UnsupportedError
    fields = _compile_fields(executor, object_type, collected.grouped_field_set)
    is_type_of = object_type.is_type_of

    def complete(executor: Run, field: FieldPlan, info: Any, path: Path, result: Any) -> Any:
        if _nullable:
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                return None
        if is_type_of is not None:
            matches = is_type_of(result, info)
            if executor.is_awaitable(matches):
                return _after_is_type_of(executor, field, path, result, matches)
            if not matches:
                raise invalid_return_type_error(object_type, result, field.details)
        return execute_fields(executor, fields, result, path)

    async def _after_is_type_of(
        executor: Run, field: FieldPlan, path: Path, result: Any, matches: Awaitable[bool]
    ) -> Any:
        if not await matches:
            raise invalid_return_type_error(object_type, result, field.details)
        completed = execute_fields(executor, fields, result, path)
        if executor.is_awaitable(completed):
            return await completed
        return completed  # pragma: no cover - as graphql-core

    return complete


def _abstract(_executor: Run, field: FieldPlan, abstract_type: GraphQLAbstractType) -> Completer:
    # Compiled for each type the values turn out to have, not for every possible type: an
    # interface such as Node has many, and nested ones would multiply.
    by_type: dict[str, Completer] = {}

    def of_type(executor: Run, runtime_type: GraphQLObjectType) -> Completer:
        completer = by_type.get(runtime_type.name)
        if completer is None:
            try:
                completer = _object(executor, field, runtime_type, _nullable=False)
            except Exception:  # noqa: BLE001 - graphql-core completes it, and reports what it finds
                completer = _general_object(runtime_type)
            by_type[runtime_type.name] = completer
        return completer

    def complete(executor: Run, field: FieldPlan, info: Any, path: Path, result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        resolve_type = abstract_type.resolve_type or executor.type_resolver
        runtime_type = resolve_type(result, info, abstract_type)
        if executor.is_awaitable(runtime_type):
            return _after_resolve_type(executor, field, info, path, result, runtime_type)
        valid = executor.ensure_valid_runtime_type(
            runtime_type, abstract_type, field.details, info, result
        )
        return of_type(executor, valid)(executor, field, info, path, result)

    async def _after_resolve_type(
        executor: Run,
        field: FieldPlan,
        info: Any,
        path: Path,
        result: Any,
        runtime_type: Awaitable[Any],
    ) -> Any:
        valid = executor.ensure_valid_runtime_type(
            await runtime_type, abstract_type, field.details, info, result
        )
        value = of_type(executor, valid)(executor, field, info, path, result)
        if executor.is_awaitable(value):
            return await value
        return value  # pragma: no cover - as graphql-core

    return complete


def _general_object(object_type: GraphQLObjectType) -> Completer:
    """graphql-core's completion of an object, for what a plan does not cover."""

    def complete(executor: Run, field: FieldPlan, info: Any, path: Path, result: Any) -> Any:
        return executor.complete_object_value(object_type, field.details, info, path, result, None)

    return complete


def _info(executor: Run, field: FieldPlan, info: Any, path: Path) -> GraphQLResolveInfo[Any]:
    """The field's info, built now if the plan had no need of it: at the field's path,
    above any list indices."""
    if info is not None:
        return cast("GraphQLResolveInfo[Any]", info)
    while isinstance(path.key, int):
        path = cast("Path", path.prev)
    return executor.build_resolve_info(field.field_def, field.nodes, field.parent_type, path)


def execute_fields(
    executor: Run, fields: tuple[FieldPlan, ...], source: Any, path: Path | None
) -> Any:
    """graphql-core's `execute_fields`: every field started, then any awaitables gathered."""
    results: dict[str, Any] = {}
    is_awaitable = executor.is_awaitable
    awaitable_fields: list[str] = []
    try:
        for field in fields:
            key = field.key
            if field.plain:
                try:
                    value = field.getter(source, field.attribute)  # type: ignore[misc]
                except Exception as raw_error:  # noqa: BLE001 - a field error, located as graphql-core does
                    executor.handle_field_error(
                        raw_error,
                        field.return_type,
                        field.details,
                        Path(path, key, field.parent_name),
                    )
                    results[key] = None
                    continue
                if type(value) is field.unchanged or (value is None and field.nullable):
                    results[key] = value
                    continue
                result = _complete_field(
                    executor, field, None, Path(path, key, field.parent_name), value
                )
            else:
                result = execute_field(executor, field, source, Path(path, key, field.parent_name))
            results[key] = result
            if is_awaitable(result):
                awaitable_fields.append(key)
    except Exception:
        if awaitable_fields:
            executor.settle_in_background([results[key] for key in awaitable_fields])
        raise
    if not awaitable_fields:
        return results

    async def get_results() -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            key = awaitable_fields[0]
            results[key] = await results[key]
        else:
            awaited = await gather_with_cancel(*(results[key] for key in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results

    return get_results()


def execute_field(executor: Run, field: FieldPlan, source: Any, path: Path) -> Any:
    info: Any = None
    try:
        getter = field.getter
        if getter is not None:
            result = getter(source, field.attribute)
            if field.needs_info:
                info = executor.build_resolve_info(
                    field.field_def, field.nodes, field.parent_type, path
                )
        else:
            info = executor.build_resolve_info(
                field.field_def, field.nodes, field.parent_type, path
            )
            args = field.args
            if args is None:
                details = field.details[0]
                args = get_argument_values(
                    field.field_def,
                    details.node,
                    executor.variable_values,
                    details.fragment_variable_values,
                    executor.hide_suggestions,
                )
            result = field.resolve(source, info, **args)  # type: ignore[misc]
    except Exception as raw_error:  # noqa: BLE001 - a field error, located as graphql-core does
        executor.handle_field_error(raw_error, field.return_type, field.details, path)
        return None
    return _complete_field(executor, field, info, path, result)


def _complete_field(executor: Run, field: FieldPlan, info: Any, path: Path, result: Any) -> Any:
    """The rest of graphql-core's `execute_field`, once the resolver has answered."""
    try:
        if executor.is_awaitable(result):
            return _complete_awaitable(
                executor, field, _info(executor, field, info, path), path, result
            )
        completed = field.complete(executor, field, info, path, result)
        if executor.is_awaitable(completed):
            return _awaited_field(executor, field, path, completed)
    except Exception as raw_error:  # noqa: BLE001 - a field error, located as graphql-core does
        executor.handle_field_error(raw_error, field.return_type, field.details, path)
        return None
    return completed


async def _complete_awaitable(
    executor: Run, field: FieldPlan, info: Any, path: Path, result: Awaitable[Any]
) -> Any:
    try:
        completed = field.complete(executor, field, info, path, await result)
        if executor.is_awaitable(completed):
            completed = await completed
    except Exception as raw_error:  # noqa: BLE001 - a field error, located as graphql-core does
        executor.handle_field_error(raw_error, field.return_type, field.details, path)
        completed = None
    return completed


async def _awaited_field(
    executor: Run, field: FieldPlan, path: Path, completed: Awaitable[Any]
) -> Any:
    try:
        return await completed
    except Exception as raw_error:  # noqa: BLE001 - a field error, located as graphql-core does
        executor.handle_field_error(raw_error, field.return_type, field.details, path)
        return None


def execute_plan(executor: Run, plan: OperationPlan) -> Any:
    """graphql-core's `execute_operation` for a query without incremental delivery, hooks
    or an abort signal."""
    errors = executor.collected_errors
    try:
        data = execute_fields(executor, plan.fields, executor.root_value, None)
    except GraphQLError as error:
        errors.add(error, None)
        return ExecutionResult(None, errors.errors or None)
    if executor.is_awaitable(data):

        async def await_result() -> ExecutionResult:
            try:
                completed = await data
            except GraphQLError as error:
                errors.add(error, None)
                return ExecutionResult(None, errors.errors or None)
            return ExecutionResult(completed, errors.errors or None)

        return await_result()
    return ExecutionResult(data, errors.errors or None)


__all__: list[str] = ["execute_plan", "plan_for"]
