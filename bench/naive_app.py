"""The naive peer: the listings of S2 and S4 written the obvious way, with stock Strawberry
and Tortoise on the same stack and the same database. Each request looks its API key up
through the ORM, then reads 20 rows (and, for keys, their creators and the total) through
the ORM. No permissions, counting, audit or caches: what a first version would be.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from tortoise.contrib.starlette import RegisterTortoise

from auth.tokens import hash_secret
from core.clock import utcnow
from gatehouse.database import tortoise_config
from models import ApiKey, User


@strawberry.type
class UserNode:
    id: strawberry.ID
    email: str
    roles: list[str]
    last_login_at: datetime | None


@strawberry.type
class ApiKeyNode:
    id: strawberry.ID
    name: str
    masked_key: str
    status: str
    last_used_at: datetime | None
    created_by: UserNode | None


@strawberry.type
class ApiKeyPage:
    total_count: int
    nodes: list[ApiKeyNode]


@strawberry.type
class UserPage:
    nodes: list[UserNode]


def _user(user: User) -> UserNode:
    return UserNode(
        id=strawberry.ID(str(user.id)),
        email=user.email,
        roles=[str(role) for role in user.roles],
        last_login_at=user.last_login_at,
    )


async def _authenticated(info: strawberry.Info) -> None:
    secret = info.context["request"].headers.get("x-api-key", "")
    if await ApiKey.get_or_none(key_hash=hash_secret(secret)).select_related("created_by") is None:
        raise PermissionError("unknown key")


@strawberry.type
class Query:
    @strawberry.field
    async def api_keys(self, info: strawberry.Info, first: int = 20) -> ApiKeyPage:
        await _authenticated(info)
        now = utcnow()
        rows = await ApiKey.all().select_related("created_by").order_by("-id").limit(first)
        nodes = [
            ApiKeyNode(
                id=strawberry.ID(str(key.id)),
                name=key.name,
                masked_key=key.masked_key,
                status=str(key.status_at(now)),
                last_used_at=key.last_used_at,
                created_by=_user(key.created_by) if key.created_by else None,
            )
            for key in rows
        ]
        return ApiKeyPage(total_count=await ApiKey.all().count(), nodes=nodes)

    @strawberry.field
    async def users(self, info: strawberry.Info, first: int = 20) -> UserPage:
        await _authenticated(info)
        rows = await User.all().order_by("id").limit(first)
        return UserPage(nodes=[_user(user) for user in rows])


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[Any]:
    async with RegisterTortoise(app, config=tortoise_config(os.environ["DATABASE_URL"])):
        yield


app = Starlette(
    routes=[Route("/graphql", GraphQL(strawberry.Schema(query=Query)))], lifespan=_lifespan
)
