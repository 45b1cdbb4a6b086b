"""The measure of a selection set: its depth, aliases and cost, for `schema.limits`.

The cost estimates the number of values in the answer: every field counts 1, and a list
counts its items. The items of a list are its page size: `first`/`last`/`days` on the list
field itself (`usage(days: 90)`), or on the connection field just above it (`nodes` and
`edges` of `apiKeys(first: 100)`); the schema's default when the argument is absent, and
the largest page when it comes from a variable. Introspection (`__schema`, `__type`,
development only) is not costed; its depth counts, and so does how many lists it nests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

PAGE_ARGUMENTS = ("first", "last", "days")
LARGEST_PAGE = 100  # the contract's largest `first`; a page from a variable counts as this
PASSWORD_FIELDS = frozenset({"login", "changePassword"})
_CEILING = 10**15  # counts saturate here, so a fan-out of fragments stays a small number


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
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.fragments: dict[str, Measure] = {}

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None
    ) -> Measure:
        measure = Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(measure, selection, parent)
            elif isinstance(selection, FragmentSpreadNode):
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
        if name in PASSWORD_FIELDS and parent is not None and parent is self.schema.mutation_type:
            measure.password_fields.add(node.alias.value if node.alias else name)
        definition = self._definition(parent, name)
        is_list = definition is not None and isinstance(
            get_nullable_type(definition.type), GraphQLList
        )
        if node.selection_set is None:
            measure.cost = _cap(measure.cost + 1)
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
        page = _page_size(node, definition)
        if page is not None and is_list:  # usage(days: 90): the list pages itself
            measure.cost = _cap(measure.cost + 1 + page * child.total_cost())
            measure.aliases = _cap(measure.aliases + page * child.total_aliases())
        elif page is not None:  # a connection: its nodes and edges hold `page` items
            measure.cost = _cap(measure.cost + 1 + child.total_cost(page))
            measure.aliases = _cap(measure.aliases + child.total_aliases(page))
        elif is_list:  # nodes / edges: paged by the connection field above
            measure.cost = _cap(measure.cost + 1)
            measure.cost_per_item = _cap(measure.cost_per_item + child.total_cost())
            measure.aliases_per_item = _cap(measure.aliases_per_item + child.total_aliases())
        else:
            measure.cost = _cap(measure.cost + 1 + child.total_cost())
            measure.aliases = _cap(measure.aliases + child.total_aliases())

    def _definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            definition: GraphQLField | None = parent.fields.get(name)
            return definition
        return None


def _page_size(node: FieldNode, definition: GraphQLField | None) -> int | None:
    if definition is None:
        return None
    names = [name for name in PAGE_ARGUMENTS if name in definition.args]
    if not names:
        return None
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    # `last: 5` pages backward and `first`'s default does not apply (see schema.pagination).
    defaults_apply = not any(name in given for name in names)
    sizes = []
    for name in names:
        value = given.get(name)
        default = definition.args[name].default_value
        if isinstance(value, IntValueNode):
            sizes.append(min(max(int(value.value), 0), LARGEST_PAGE))
        elif isinstance(value, VariableNode):
            sizes.append(LARGEST_PAGE)
        elif value is None and defaults_apply and isinstance(default, int):
            sizes.append(min(default, LARGEST_PAGE))
    return max(sizes, default=LARGEST_PAGE)
