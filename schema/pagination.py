from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Generic, TypeVar

import strawberry

# The row type of a resolver's page, whatever model it is: opaque to this layer.
from resolvers.pagination import M, Page

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


@strawberry.type(description="Where a page sits in its list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Whether the page was asked for with `after`."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the first item; null on an empty page."
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
    edges: list[Edge[Node]] = strawberry.field(description="The page's items with their cursors.")
    nodes: list[Node] = strawberry.field(description="The page's items, without cursors.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more items follow.")
    count_all: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Every item matching the filter, across all pages.")
    async def total_count(self) -> int:
        return await self.count_all()

    @classmethod
    def from_page(cls, page: Page[M], convert: Callable[[M], Node]) -> Connection[Node]:
        nodes = [convert(item) for item in page.items]
        return cls(
            edges=[Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)],
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            count_all=page.count_all,
        )
