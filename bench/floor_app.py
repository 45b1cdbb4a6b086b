"""The floor: a bare Strawberry app on the same Starlette/uvicorn stack, answering `{ hello }`.

Gatehouse cannot be faster than this; the benchmark reports every scenario as a ratio to it.
"""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


app = Starlette(routes=[Route("/graphql", GraphQL(strawberry.Schema(query=Query)))])
