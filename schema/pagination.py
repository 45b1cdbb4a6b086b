from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry
from tortoise.models import Model

from resolvers.pagination import Page

Node = TypeVar("Node")
M = TypeVar("M", bound=Model)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    nodes: list[Node]
    page_info: PageInfo
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
