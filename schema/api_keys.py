from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry import relay

from core.clock import utcnow
from models import ApiKey, Scope
from resolvers import api_keys
from resolvers.pagination import OrderDirection
from schema.context import Context
from schema.enums import ApiKeyOrderFieldEnum, ApiKeyStatusEnum, OrderDirectionEnum, ScopeEnum
from schema.ids import API_KEY, global_id, pk_of, require_pk
from schema.pagination import Connection
from schema.permissions import ADMIN, EVERY_ROLE, SUPER_ADMIN, allow
from schema.users import UserType

Info = strawberry.Info[Context, None]


@strawberry.type
class KeyUsageDay:
    date: date
    calls: int


@strawberry.type(name="ApiKey")
class ApiKeyType(relay.Node):
    id: relay.NodeID[int]
    name: str
    description: str | None
    masked_key: str = strawberry.field(description='Prefix and last 4 characters: "gk_Ab12…wXyZ".')
    scopes: list[ScopeEnum]  # type: ignore[valid-type]
    last_used_at: datetime | None
    expires_at: datetime | None = strawberry.field(description="Null means never.")
    status: ApiKeyStatusEnum  # type: ignore[valid-type]
    created_at: datetime
    revoked_at: datetime | None
    total_calls: int
    created_by_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, api_key: ApiKey) -> ApiKeyType:
        return cls(
            id=api_key.id,
            name=api_key.name,
            description=api_key.description,
            masked_key=api_key.masked_key,
            scopes=api_key.scopes,
            last_used_at=api_key.last_used_at,
            expires_at=api_key.expires_at,
            status=api_key.status_at(utcnow()),
            created_at=api_key.created_at,
            revoked_at=api_key.revoked_at,
            total_calls=api_key.total_calls,
            created_by_id=api_key.created_by_id,
        )

    @strawberry.field(description="Null once that user is deleted.")
    async def created_by(self, info: Info) -> UserType | None:
        if self.created_by_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.created_by_id)
        return UserType.from_model(user) if user else None

    @strawberry.field(
        description="Calls per UTC day, oldest first, zero days included; 1 <= days <= 90."
    )
    async def usage(self, info: Info, days: int = 30) -> list[KeyUsageDay]:
        api_keys.check_usage_days(days)
        usage = await info.context.loaders.api_key_usage.load((self.id, days))
        return [KeyUsageDay(date=day, calls=calls) for day, calls in usage]


@strawberry.input
class ApiKeyFilter:
    status: ApiKeyStatusEnum | None = None  # type: ignore[valid-type]
    search: str | None = strawberry.field(default=None, description="Matches part of the name.")


@strawberry.input(
    description="How to sort `apiKeys`: by one field, ties broken by id in the same "
    "direction; keys with a null value (never used, never expiring) come last in both "
    "directions."
)
class ApiKeyOrder:
    field: ApiKeyOrderFieldEnum = strawberry.field(  # type: ignore[valid-type]
        description="The field to sort by."
    )
    direction: OrderDirectionEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=OrderDirection.DESC, description="DESC when left out or null."
    )


@strawberry.input
class CreateApiKeyInput:
    name: str = strawberry.field(description="1 to 100 characters.")
    description: str | None = None
    scopes: list[ScopeEnum]  # type: ignore[valid-type]
    expires_at: datetime | None = strawberry.field(
        default=None, description="In the future; null means the key never expires."
    )


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKeyType
    secret: str = strawberry.field(
        description="The whole key, shown this once only: it is stored only as a hash."
    )


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="Every key in the portal, whoever created it, newest first.",
    )
    async def api_keys(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1 to 100.")] = 20,
        after: str | None = None,
        filter: ApiKeyFilter | None = None,  # noqa: A002 - the contract's name
        order_by: ApiKeyOrder | None = None,
    ) -> Connection[ApiKeyType]:
        criteria = filter or ApiKeyFilter()
        page = await api_keys.list_api_keys(
            first=first,
            after=after,
            status=criteria.status,
            search=criteria.search,
            order_by=order_by.field if order_by else None,
            direction=(order_by and order_by.direction) or OrderDirection.DESC,
        )
        return Connection.from_page(page, ApiKeyType.from_model)

    @strawberry.field(extensions=[allow(*EVERY_ROLE, scope=Scope.READ)])
    async def api_key(self, info: Info, id: strawberry.ID) -> ApiKeyType | None:  # noqa: A002
        pk = pk_of(id, API_KEY)
        api_key = None if pk is None else await api_keys.get_api_key(pk)
        return ApiKeyType.from_model(api_key) if api_key else None


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(
        extensions=[allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE)],
        description="A key can only create keys with scopes it holds itself.",
    )
    async def create_api_key(
        self,
        info: Info,
        input: CreateApiKeyInput,  # noqa: A002
    ) -> CreateApiKeyPayload:
        created = await api_keys.create_api_key(
            info.context.principal,
            name=input.name,
            description=input.description,
            scopes=input.scopes,
            expires_at=input.expires_at,
        )
        return CreateApiKeyPayload(
            api_key=ApiKeyType.from_model(created.api_key), secret=created.secret
        )

    @strawberry.mutation(
        extensions=[allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE)],
        description="Immediate and final.",
    )
    async def revoke_key(self, info: Info, id: strawberry.ID) -> ApiKeyType:  # noqa: A002
        return ApiKeyType.from_model(await api_keys.revoke_key(require_pk(id, API_KEY)))

    @strawberry.mutation(extensions=[allow(SUPER_ADMIN, scope=Scope.ADMIN)])
    async def delete_api_key(self, info: Info, id: strawberry.ID) -> strawberry.ID:  # noqa: A002
        deleted = await api_keys.delete_api_key(require_pk(id, API_KEY))
        return global_id(API_KEY, deleted)
