from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
)

# The row type of a resolver's page, whatever model it is: opaque to this layer.
from resolvers.pagination import M, Page, PageRequest

Node = TypeVar("Node")


First = Annotated[
    int | None, strawberry.argument(description="How many items to return: 1 to 100.")
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Start after this cursor (an `endCursor` or edge `cursor` of the same "
        "list in the same order); null starts at the beginning."
    ),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="How many items to return from the end of the list (or before `before`): "
        "1 to 100. Not with `first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="End just before this cursor (a `startCursor` or edge `cursor` of the "
        "same list in the same order), paging backward; with `last` (20 when left out)."
    ),
]


def page_request(
    info: strawberry.Info[Any, Any],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> PageRequest:
    """`first` has a default in the schema (20), so it counts as given only when the document
    (or a variable it names) gives it: `last: 5` alone pages backward."""
    return PageRequest(
        first=first if _given(info, "first") else None, after=after, last=last, before=before
    )


def _given(info: strawberry.Info[Any, Any], name: str) -> bool:
    raw = info._raw_info
    for node in raw.field_nodes:
        for argument in node.arguments or ():
            if argument.name.value == name:
                if isinstance(argument.value, VariableNode):
                    # A plain dict at run time, whatever graphql-core's annotation says.
                    values: Any = raw.variable_values
                    coerced = getattr(values, "coerced", values)
                    return coerced.get(argument.value.name.value) is not None
                return True
    return False


def selects_total_count(info: strawberry.Info[Any, Any]) -> bool:
    """Whether the connection's `totalCount` is asked for, so the page counts in its own
    statement; otherwise nothing is counted. Read from the document's own nodes: Strawberry's
    `selected_fields` converts the whole selection, every row's fields too."""
    raw = info._raw_info
    return any(
        _selects("totalCount", node.selection_set, raw.fragments) for node in raw.field_nodes
    )


def _selects(
    name: str, selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _selects(name, selection.selection_set, fragments):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _selects(name, fragment.selection_set, fragments):
                return True
    return False


@strawberry.type(description="Where a page sits in its list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Paging forward: whether more items follow this page. Paging backward "
        "(`last`): whether the page was asked for with `before`."
    )
    has_previous_page: bool = strawberry.field(
        description="Paging backward (`last`): whether more items come before this page. "
        "Paging forward: whether the page was asked for with `after`."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the first item, for `before`; null on an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last item, for `after`; null on an empty page."
    )


@strawberry.type(description="One item of a page and its cursor.")
class Edge(Generic[Node]):
    cursor: str = strawberry.field(description="Opaque; pass as `after` to continue from here.")
    node: Node = strawberry.field(description="The item.")


@strawberry.type(description="One page of a list (Relay cursor connection).")
class Connection(Generic[Node]):
    items: strawberry.Private[list[Node]]
    page: strawberry.Private[Page[Any]]

    # `edges` and `pageInfo` are made when asked for: a page is mostly read by its nodes,
    # and the cursors of every row cost more than the one resolver call of each. (`nodes`
    # is a resolver too, only to keep the fields in the schema's order.)
    @strawberry.field(description="The page's items with their cursors.")
    def edges(self) -> list[Edge[Node]]:
        return [Edge(cursor=c, node=n) for c, n in zip(self.page.cursors, self.items, strict=True)]

    @strawberry.field(description="The page's items, without cursors.")
    def nodes(self) -> list[Node]:
        return self.items

    @strawberry.field(description="Cursors and whether more items follow.")
    def page_info(self) -> PageInfo:
        cursors = self.page.cursors
        return PageInfo(
            has_next_page=self.page.has_next_page,
            has_previous_page=self.page.has_previous_page,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )

    @strawberry.field(description="Every item matching the filter, across all pages.")
    def total_count(self) -> int:
        # Not async: the page's own statement usually counted already, and an async
        # resolver would cost a task. Otherwise graphql-core awaits the count.
        if self.page.total is not None:
            return self.page.total
        return self.page.count_all()  # type: ignore[return-value]

    @classmethod
    def from_page(cls, page: Page[M], convert: Callable[[M], Node]) -> Connection[Node]:
        return cls(items=[convert(item) for item in page.items], page=page)
