"""The measure of a selection set: its depth, aliases and cost, for `schema.limits`.

The cost estimates the number of values in the answer: every field counts 1 (`__typename`
nothing), and a list counts its items. The items of a list are its page size:
`first`/`last`/`days` on the list field itself (`usage(days: 90)`), the buckets of a usage
series' range (`usageSeries(from:, to:, granularity:)`), or on the connection
field just above it (`nodes` and `edges` of `apiKeys(first: 100)`); or the length of a list
argument (`nodes(ids: [...])`, duplicates included). Any list argument multiplies its
field's cost by its length. A value from a variable counts as this request's value: the
measure depends on the variables, and `variables_used` says on which. A variable the request
leaves out counts as the argument's default, a value of the wrong kind as the largest page.
Introspection (`__schema`, `__type`, development only) is not costed; its depth counts, and
so does how many lists it nests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from graphql import (
    EnumValueNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from resolvers.usage import MAX_BUCKETS, count_buckets

PAGE_ARGUMENTS = ("first", "last", "days")
SERIES_ARGUMENTS = frozenset({"from", "to", "granularity"})  # usageSeries: one item per bucket
LARGEST_PAGE = 100  # the contract's largest `first`, and what an unknown page counts as
PASSWORD_FIELDS = frozenset({"login", "changePassword", "acceptInvitation"})
_CEILING = 10**15  # counts saturate here, so a fan-out of fragments stays a small number
_MISSING = object()  # a variable the request leaves out
_UNKNOWN = object()  # a variable whose value is not known: counts as the largest


@dataclass
class Measure:
    """What one selection set adds. `*_per_item` is multiplied by the page of the
    connection field above when the set holds its `nodes`/`edges` directly."""

    depth: int = 0
    list_depth: int = 0
    introspection_lists: int = 0
    aliases: int = 0
    aliases_per_item: int = 0
    cost: int = 0
    cost_per_item: int = 0
    password_fields: set[str] = field(default_factory=set)

    def total_cost(self, page: int = 1) -> int:
        return _cap(self.cost + page * self.cost_per_item)

    def total_aliases(self, page: int = 1) -> int:
        return _cap(self.aliases + page * self.aliases_per_item)

    def add_level(self, other: Measure) -> None:
        """Selections of a fragment or inline fragment sit at this same level."""
        self.depth = max(self.depth, other.depth)
        self.list_depth = max(self.list_depth, other.list_depth)
        self.introspection_lists = max(self.introspection_lists, other.introspection_lists)
        self.aliases = _cap(self.aliases + other.aliases)
        self.aliases_per_item = _cap(self.aliases_per_item + other.aliases_per_item)
        self.cost = _cap(self.cost + other.cost)
        self.cost_per_item = _cap(self.cost_per_item + other.cost_per_item)
        self.password_fields |= other.password_fields


def _cap(value: int) -> int:
    return min(value, _CEILING)


class Measurer:
    """`variables`: the values of the operation's variables (its defaults included), or
    None when they are not known, and every variable counts as the largest page."""

    def __init__(
        self, schema: GraphQLSchema, variables: Mapping[str, object] | None = None
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments: dict[str, Measure] = {}
        self.variables_used: set[str] = set()

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None
    ) -> Measure:
        measure = Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(measure, selection, parent)
            elif isinstance(selection, FragmentSpreadNode):
                # A spread counts 1 wherever it is expanded, like a field: a fan-out of
                # fragments that each select only `__typename` still has its cost.
                measure.cost = _cap(measure.cost + 1)
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    measure.add_level(fragment)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                measure.add_level(self.selections(selection.selection_set, inner))
        return measure

    def _field(self, measure: Measure, node: FieldNode, parent: GraphQLNamedType | None) -> None:
        name = node.name.value
        if node.alias is not None:
            measure.aliases = _cap(measure.aliases + 1)
        if name == "__typename":  # known without resolving anything
            return
        if name in PASSWORD_FIELDS and parent is not None and parent is self.schema.mutation_type:
            measure.password_fields.add(node.alias.value if node.alias else name)
        definition = self._definition(parent, name)
        is_list = definition is not None and isinstance(
            get_nullable_type(definition.type), GraphQLList
        )
        items = self._list_arguments_length(node, definition)
        if node.selection_set is None:
            measure.cost = _cap(measure.cost + max(items or 1, 1))
            return
        child_type = get_named_type(definition.type) if definition is not None else None
        child = self.selections(node.selection_set, child_type)
        measure.depth = max(measure.depth, child.depth + 1)
        measure.list_depth = max(measure.list_depth, child.list_depth + int(is_list))
        measure.introspection_lists = max(measure.introspection_lists, child.introspection_lists)
        if name in ("__schema", "__type"):
            measure.introspection_lists = max(measure.introspection_lists, child.list_depth)
            measure.cost = _cap(measure.cost + 1)
            measure.aliases = _cap(measure.aliases + child.total_aliases())
            return
        page = self._page_size(node, definition)
        if page is None and is_list and items is not None:  # nodes(ids: ...): one per id
            page, items = items, None
        times = max(items or 1, 1)
        if page is not None and is_list:  # usage(days: 90): the list pages itself
            measure.cost = _cap(measure.cost + times * (1 + page * child.total_cost()))
            measure.aliases = _cap(measure.aliases + times * page * child.total_aliases())
        elif page is not None:  # a connection: its nodes and edges hold `page` items
            measure.cost = _cap(measure.cost + times * (1 + child.total_cost(page)))
            measure.aliases = _cap(measure.aliases + times * child.total_aliases(page))
        elif is_list:  # nodes / edges: paged by the connection field above
            measure.cost = _cap(measure.cost + times)
            measure.cost_per_item = _cap(measure.cost_per_item + times * child.total_cost())
            measure.aliases_per_item = _cap(
                measure.aliases_per_item + times * child.total_aliases()
            )
        else:
            measure.cost = _cap(measure.cost + times * (1 + child.total_cost()))
            measure.aliases = _cap(measure.aliases + times * child.total_aliases())

    def _definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            definition: GraphQLField | None = parent.fields.get(name)
            return definition
        return None

    def _page_size(self, node: FieldNode, definition: GraphQLField | None) -> int | None:
        if definition is None:
            return None
        if definition.args.keys() >= SERIES_ARGUMENTS:
            return self._buckets(node)
        names = [name for name in PAGE_ARGUMENTS if name in definition.args]
        if not names:
            return None
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        values: dict[str, object] = {}
        for name in names:
            value: object = given.get(name, _MISSING)
            if isinstance(value, VariableNode):
                value = self._variable(value)
            values[name] = value
        # `last: 5` pages backward and `first`'s default does not apply (see schema.pagination).
        defaults_apply = all(value is _MISSING for value in values.values())
        sizes = []
        for name, value in values.items():
            if value is _MISSING:  # absent: the schema's default applies
                value = definition.args[name].default_value
                if not (defaults_apply and isinstance(value, int)):
                    continue
            if isinstance(value, IntValueNode):
                value = int(value.value)
            sizes.append(_page(value))
        return max(sizes, default=LARGEST_PAGE)

    def _buckets(self, node: FieldNode) -> int:
        """A usage series lists one item per bucket of its range (per group, too, which is
        not known before it runs): counted like a page. A range that cannot be read counts
        as the longest one allowed; a longer one is refused by the field itself."""
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        values = {}
        for name in SERIES_ARGUMENTS:
            value: object = given.get(name, _MISSING)
            if isinstance(value, VariableNode):
                value = self._variable(value)
            elif isinstance(value, StringValueNode | EnumValueNode):
                value = value.value
            values[name] = value
        granularity = values["granularity"]
        longest = MAX_BUCKETS.get(str(granularity), max(MAX_BUCKETS.values()))
        try:
            start = datetime.fromisoformat(str(values["from"]))
            end = datetime.fromisoformat(str(values["to"]))
            buckets = count_buckets(
                start.replace(tzinfo=start.tzinfo or UTC),
                end.replace(tzinfo=end.tzinfo or UTC),
                str(granularity),
            )
        except (ValueError, TypeError, OverflowError):
            return longest
        return min(buckets, longest)

    def _list_arguments_length(
        self, node: FieldNode, definition: GraphQLField | None
    ) -> int | None:
        """The product of the lengths of the field's list arguments; None without any."""
        if definition is None:
            return None
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        product: int | None = None
        for name, argument in definition.args.items():
            if not isinstance(get_nullable_type(argument.type), GraphQLList):
                continue
            length = self._length(given.get(name, _MISSING), argument)
            if length is not None:
                product = _cap((1 if product is None else product) * length)
        return product

    def _length(self, value: object, argument: GraphQLArgument) -> int | None:
        from_variable = isinstance(value, VariableNode)
        if isinstance(value, VariableNode):
            value = self._variable(value)
        if value is _UNKNOWN:
            return LARGEST_PAGE
        if value is _MISSING:  # absent: the schema's default applies, if any
            default = argument.default_value
            if isinstance(default, list):
                return len(default)
            return LARGEST_PAGE if from_variable else None
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, list):
            return len(value)
        if value is None or isinstance(value, NullValueNode):
            return 0
        return 1  # one value where a list is expected is a list of one

    def _variable(self, node: VariableNode) -> object:
        name = node.name.value
        self.variables_used.add(name)
        if self.variables is None:
            return _UNKNOWN
        return self.variables.get(name, _MISSING)


def _page(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return min(max(value, 0), LARGEST_PAGE)
    return LARGEST_PAGE  # null, unknown, or a value of the wrong kind
