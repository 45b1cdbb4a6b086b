from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, cast

import strawberry

from auth import audit
from core.clock import utcnow
from models import ApiKey, Scope, User
from resolvers import api_keys
from schema.context import Context
from schema.enums import ApiKeyStatusEnum, ScopeEnum
from schema.pagination import Connection
from schema.permissions import ADMIN, EVERY_ROLE, SUPER_ADMIN, allow
from schema.users import UserType

Info = strawberry.Info[Context, None]


@strawberry.type
class KeyUsageDay:
    date: date
    calls: int


@strawberry.type(name="ApiKey")
class ApiKeyType:
    id: strawberry.ID
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
    rolled_at: datetime | None = strawberry.field(description="When the secret was last rolled.")
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until then the secret replaced by the last roll still works."
    )
    rate_limit_per_minute: int | None = strawberry.field(description="Null means no limit.")
    rate_limited_calls: int = strawberry.field(
        description="Requests refused by the rate limit; not counted in totalCalls."
    )
    allowed_cidrs: list[str] | None = strawberry.field(
        description="Networks the key may be used from; null means anywhere."
    )
    last_used_ip: str | None = strawberry.field(description="Where the last call came from.")
    created_by_id: strawberry.Private[int | None]
    # Set when the key's row came with its creator's (the listing joins them), which saves
    # the loader's statement.
    creator: strawberry.Private[User | None] = None

    @classmethod
    def from_model(cls, api_key: ApiKey) -> ApiKeyType:
        return cls(
            id=strawberry.ID(str(api_key.id)),
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
            rolled_at=api_key.rolled_at,
            previous_secret_expires_at=api_key.previous_secret_expires_at,
            rate_limit_per_minute=api_key.rate_limit_per_minute,
            rate_limited_calls=api_key.rate_limited_calls,
            allowed_cidrs=api_key.allowed_cidrs,
            last_used_ip=api_key.last_used_ip,
            created_by_id=api_key.created_by_id,
            creator=getattr(api_key, "_created_by", None),
        )

    @strawberry.field(
        extensions=[allow(SUPER_ADMIN, ADMIN, scope=Scope.READ)],
        description="Null once that user is deleted. Needs the permission of `users`.",
    )
    def created_by(self, info: Info) -> UserType | None:
        # Not async: on a listing the creator came with the page, and an async resolver
        # would cost a task per key (a tenth of the listing's time in py-spy). Otherwise
        # the loader's awaitable is returned, which graphql-core awaits like a coroutine.
        if self.created_by_id is None:
            return None
        if self.creator is not None:
            return UserType.from_model(self.creator)
        return cast(UserType | None, self._load_creator(info, self.created_by_id))

    @staticmethod
    async def _load_creator(info: Info, user_id: int) -> UserType | None:
        user = await info.context.loaders.user_by_id.load(user_id)
        return UserType.from_model(user) if user else None

    @strawberry.field(
        description="Calls per UTC day, oldest first, zero days included; 1 <= days <= 90."
    )
    async def usage(self, info: Info, days: int = 30) -> list[KeyUsageDay]:
        api_keys.check_usage_days(days)
        usage = await info.context.loaders.api_key_usage.load((int(self.id), days))
        return [KeyUsageDay(date=day, calls=calls) for day, calls in usage]


@strawberry.input
class ApiKeyFilter:
    status: ApiKeyStatusEnum | None = None  # type: ignore[valid-type]
    search: str | None = strawberry.field(default=None, description="Matches part of the name.")
    expiring_within_days: int | None = strawberry.field(
        default=None, description="Active keys expiring within this many days; 1 to 3650."
    )


@strawberry.input
class CreateApiKeyInput:
    name: str = strawberry.field(description="1 to 100 characters.")
    description: str | None = None
    scopes: list[ScopeEnum]  # type: ignore[valid-type]
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="In the future; null means the key never expires (refused when "
        "MAX_KEY_LIFETIME_DAYS is set).",
    )
    rate_limit_per_minute: int | None = strawberry.field(
        default=None, description="1 to 100000 requests a minute; null means no limit."
    )
    allowed_cidrs: list[str] | None = strawberry.field(
        default=None,
        description="IPv4/IPv6 networks or addresses the key may be used from (at most 50); "
        "null means anywhere.",
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
    ) -> Connection[ApiKeyType]:
        criteria = filter or ApiKeyFilter()
        page = await api_keys.list_api_keys(
            first=first,
            after=after,
            status=criteria.status,
            search=criteria.search,
            expiring_within_days=criteria.expiring_within_days,
        )
        return Connection.from_page(page, ApiKeyType.from_model)

    @strawberry.field(extensions=[allow(*EVERY_ROLE, scope=Scope.READ)])
    async def api_key(self, info: Info, id: strawberry.ID) -> ApiKeyType | None:  # noqa: A002
        api_key = await api_keys.get_api_key(id)
        return ApiKeyType.from_model(api_key) if api_key else None

    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="The key making this request; null for a session.",
    )
    async def current_api_key(self, info: Info) -> ApiKeyType | None:
        calling_key = info.context.principal.api_key
        if calling_key is None:
            return None
        # Read again: the principal's copy predates the count of this very call.
        api_key = await api_keys.get_api_key(calling_key.id)
        return ApiKeyType.from_model(api_key) if api_key else None


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(
        extensions=[allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE, audited_as=audit.API_KEY_CREATE)],
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
            rate_limit_per_minute=input.rate_limit_per_minute,
            allowed_cidrs=input.allowed_cidrs,
            max_lifetime_days=info.context.settings.max_key_lifetime_days,
        )
        return CreateApiKeyPayload(
            api_key=ApiKeyType.from_model(created.api_key), secret=created.secret
        )

    @strawberry.mutation(
        extensions=[allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE, audited_as=audit.API_KEY_REVOKE)],
        description="Immediate and final.",
    )
    async def revoke_key(self, info: Info, id: strawberry.ID) -> ApiKeyType:  # noqa: A002
        return ApiKeyType.from_model(await api_keys.revoke_key(info.context.principal, id))

    @strawberry.mutation(
        extensions=[allow(SUPER_ADMIN, scope=Scope.ADMIN, audited_as=audit.API_KEY_DELETE)]
    )
    async def delete_api_key(self, info: Info, id: strawberry.ID) -> strawberry.ID:  # noqa: A002
        return strawberry.ID(await api_keys.delete_api_key(info.context.principal, id))
