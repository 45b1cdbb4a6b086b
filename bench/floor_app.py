"""The floors: a bare Strawberry app on the same Starlette/uvicorn stack, answering `{ hello }`.

`app` parses and validates every request, as a stock Strawberry app does. `cached_app` is the
same app with Strawberry's own `ParserCache` and `ValidationCache`: for a document sent again
and again (every scenario of the benchmark) that is the real ceiling, and Gatehouse keeps its
parsed and validated documents in a cache of its own. The benchmark reports every scenario as
a ratio to both.
"""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


app = Starlette(routes=[Route("/graphql", GraphQL(strawberry.Schema(query=Query)))])
cached_app = Starlette(
    routes=[
        Route(
            "/graphql",
            GraphQL(
                strawberry.Schema(
                    query=Query,
                    # Instances, as strawberry documents these two, so that every request
                    # shares one cache; its annotation names only classes and factories.
                    extensions=[ParserCache(), ValidationCache()],  # type: ignore[list-item]
                )
            ),
        )
    ]
)
