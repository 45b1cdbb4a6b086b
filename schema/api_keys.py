from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Union, cast

import strawberry
from strawberry import relay

from auth.audit import AuditAction, AuditTarget
from core.clock import utcnow
from core.enums import KeyOwnerType, RefillInterval, Scope
from resolvers import api_keys
from resolvers.key_rules import Refill
from resolvers.pagination import OrderDirection, Page
from resolvers.rows import ApiKey
from schema.changes import Target, mutation
from schema.context import Context
from schema.enums import (
    ApiKeyOrderFieldEnum,
    ApiKeyStatusEnum,
    OrderDirectionEnum,
    RefillIntervalEnum,
    ScopeEnum,
)
from schema.ids import (
    API_KEY,
    SERVICE_ACCOUNT,
    ApiKeyId,
    global_id,
    node_id_field,
    pk_of,
    require_pk,
)
from schema.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_request,
    selects_total_count,
)
from schema.permissions import ADMIN, EVERY_ROLE, SUPER_ADMIN, allow
from schema.usage_series import (
    SERIES_DESCRIPTION,
    From,
    Granularity,
    GroupBy,
    To,
    UsageBucket,
    series,
)
from schema.users import UserType

if TYPE_CHECKING:
    from schema.service_accounts import ServiceAccountType

Info = strawberry.Info[Context, None]

# schema.service_accounts lists an account's keys, so its type is named here lazily, and
# written out where it is returned: Strawberry does not resolve it through an alias.
KeyOwner = Union[  # noqa: UP007 - a lazy member cannot stand in an `|` union
    UserType, Annotated["ServiceAccountType", strawberry.lazy("schema.service_accounts")]
]


@strawberry.type(description="An API key's calls on one UTC day.")
class KeyUsageDay:
    date: date = strawberry.field(description="The UTC day.")
    calls: int = strawberry.field(description="Requests the key authenticated that day.")


@strawberry.type(description="How a key's credits come back.")
class KeyRefill:
    amount: int = strawberry.field(description="`remaining` is set back to this amount.")
    interval: RefillIntervalEnum = strawberry.field(description="Each UTC day or month.")
    refilled_at: datetime | None = strawberry.field(
        description="When the credits were last set back (or the refill was set)."
    )


@strawberry.input(description="How a key's credits come back.")
class KeyRefillInput:
    amount: int = strawberry.field(description="1 to 1000000000 credits.")
    interval: RefillIntervalEnum = strawberry.field(description="DAILY or MONTHLY (UTC).")

    def to_refill(self) -> Refill:
        return Refill(self.amount, self.interval)


@strawberry.type(
    name="ApiKey",
    description="A credential for automation: acts as its owner (the user who created it, or "
    "the service account it was made for), narrowed by its scopes. The key itself is never "
    "stored, only its hash.",
)
class ApiKeyType(relay.Node):
    id: relay.NodeID[int]
    _id: strawberry.ID = node_id_field()  # Relay's `id`, as an attribute: schema.ids
    name: str = strawberry.field(description="1 to 100 characters.")
    description: str | None = strawberry.field(description="Free text, up to 1000 characters.")
    masked_key: str = strawberry.field(description='Prefix and last 4 characters: "gk_Ab12…wXyZ".')
    scopes: list[ScopeEnum] = strawberry.field(
        description="What the key may do; scopes do not imply each other."
    )
    last_used_at: datetime | None = strawberry.field(
        description="The last request it authenticated; null until the first."
    )
    expires_at: datetime | None = strawberry.field(description="Null means never.")
    status: ApiKeyStatusEnum = strawberry.field(
        description="REVOKED once revoked, else EXPIRED once expiresAt has passed, else ACTIVE."
    )
    created_at: datetime = strawberry.field(description="When the key was created.")
    revoked_at: datetime | None = strawberry.field(description="Null unless revoked.")
    total_calls: int = strawberry.field(description="Every request the key authenticated.")
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
    permissions: list[str] = strawberry.field(
        description="Permission strings for other backends (`invoices:read`); a trailing `*` "
        "in the action grants every action it starts (`admin:*`). Gatehouse's own API checks "
        "scopes only."
    )
    remaining: int | None = strawberry.field(
        description="Credits left for verifications; null is unlimited. 0 also refuses the "
        "key on Gatehouse's own API (RATE_LIMITED, reason USAGE_EXCEEDED) until its refill."
    )
    refill: KeyRefill | None = strawberry.field(description="Null: credits never come back.")
    created_by_id: strawberry.Private[int | None]
    owner_type: strawberry.Private[KeyOwnerType]
    service_account_id: strawberry.Private[int | None]
    # Set when the key's row came with its creator's (the listing joins them), which saves
    # the loader's statement.
    creator: strawberry.Private[UserType | None] = None

    @classmethod
    def from_model(
        cls,
        api_key: ApiKey,
        *,
        now: datetime | None = None,
        creators: dict[int, UserType] | None = None,
    ) -> ApiKeyType:
        """`now`: when its status and credits are seen (the page's one instant, or now).
        `creators`: the page's creators by id, each converted once for all its keys."""
        now = utcnow() if now is None else now
        creator = None
        user = getattr(api_key, "_created_by", None)
        if user is not None:
            creator = None if creators is None else creators.get(user.id)
            if creator is None:
                creator = UserType.from_model(user)
                if creators is not None:
                    creators[user.id] = creator
        return cls(
            id=api_key.id,
            _id=global_id(API_KEY, api_key.id),
            name=api_key.name,
            description=api_key.description,
            masked_key=api_key.masked_key,
            scopes=api_key.scopes,
            last_used_at=api_key.last_used_at,
            expires_at=api_key.expires_at,
            status=api_key.status_at(now),
            created_at=api_key.created_at,
            revoked_at=api_key.revoked_at,
            total_calls=api_key.total_calls,
            rolled_at=api_key.rolled_at,
            previous_secret_expires_at=api_key.previous_secret_expires_at,
            rate_limit_per_minute=api_key.rate_limit_per_minute,
            rate_limited_calls=api_key.rate_limited_calls,
            allowed_cidrs=api_key.allowed_cidrs,
            last_used_ip=api_key.last_used_ip,
            permissions=api_key.permissions,
            remaining=api_keys.credits_now(api_key, now),
            refill=None
            if api_key.refill_amount is None or api_key.refill_interval is None
            else KeyRefill(
                amount=api_key.refill_amount,
                interval=RefillInterval(api_key.refill_interval),
                refilled_at=api_key.refilled_at,
            ),
            created_by_id=api_key.created_by_id,
            owner_type=api_key.owner_type,
            service_account_id=api_key.service_account_id,
            creator=creator,
        )

    @classmethod
    def connection(cls, page: Page[ApiKey]) -> Connection[ApiKeyType]:
        """A page of keys, seen at one instant, each creator converted once."""
        now = utcnow()
        creators: dict[int, UserType] = {}
        return Connection.from_page(
            page, lambda api_key: cls.from_model(api_key, now=now, creators=creators)
        )

    @strawberry.field(
        extensions=[allow(SUPER_ADMIN, ADMIN, scope=Scope.READ)],
        description="Null once that user is deleted, or when a service account's key made "
        "it. Needs the permission of `users`.",
    )
    def created_by(self, info: Info) -> UserType | None:
        return self._creator(info)

    def _creator(self, info: Info) -> UserType | None:
        # Not async: on a listing the creator came with the page, and an async resolver
        # would cost a task per key (a tenth of the listing's time in py-spy). Otherwise
        # the loader's awaitable is returned, which graphql-core awaits like a coroutine.
        if self.created_by_id is None:
            return None
        if self.creator is not None:
            return self.creator
        return cast(UserType | None, self._load_creator(info, self.created_by_id))

    @staticmethod
    async def _load_creator(info: Info, user_id: int) -> UserType | None:
        user = await info.context.loaders.user_by_id.load(user_id)
        return UserType.from_model(user) if user else None

    @strawberry.field(
        extensions=[allow(SUPER_ADMIN, ADMIN, scope=Scope.READ)],
        description="Whom the key acts for: the user who created it, or the service account "
        "it was made for (which outlives that user). Null once the owner is deleted. Needs "
        "the permission of `users`.",
    )
    def owner(
        self, info: Info
    ) -> (
        Annotated[
            Union[  # noqa: UP007 - as KeyOwner
                UserType,
                Annotated[ServiceAccountType, strawberry.lazy("schema.service_accounts")],
            ],
            strawberry.union(
                "KeyOwner", description="Whom an API key acts for: a user, or a service account."
            ),
        ]
        | None
    ):
        # Not async, as `createdBy`: a user's key's owner usually came with the page.
        if self.owner_type == KeyOwnerType.SERVICE_ACCOUNT:
            if self.service_account_id is None:
                return None
            return cast(KeyOwner | None, _load_account(info, self.service_account_id))
        return self._creator(info)

    @strawberry.field(
        description="Calls per UTC day, oldest first, zero days included; 1 <= days <= 90."
    )
    async def usage(
        self,
        info: Info,
        days: Annotated[
            int, strawberry.argument(description="How many days back, today included: 1 to 90.")
        ] = 30,
    ) -> list[KeyUsageDay]:
        api_keys.check_usage_days(days)
        usage = await info.context.loaders.api_key_usage.load((self.id, days))
        return [KeyUsageDay(date=day, calls=calls) for day, calls in usage]

    @strawberry.field(description=f"This key's calls. {SERIES_DESCRIPTION}")
    async def usage_series(
        self,
        info: Info,
        from_: From,
        to: To,
        granularity: Granularity,
        group_by: GroupBy = (),  # type: ignore[assignment]  # printed as []
    ) -> list[UsageBucket]:
        return await series(from_, to, granularity, group_by, self.id)


async def _load_account(info: Info, account_id: int) -> ServiceAccountType | None:
    from schema.service_accounts import ServiceAccountType  # it imports this module

    account = await info.context.loaders.service_account_by_id.load(account_id)
    return ServiceAccountType.from_model(account) if account else None


@strawberry.input(description="Narrows `apiKeys`; every criterion given must match.")
class ApiKeyFilter:
    status: ApiKeyStatusEnum | None = strawberry.field(
        default=None, description="Only keys with this status now."
    )
    search: str | None = strawberry.field(default=None, description="Matches part of the name.")
    expiring_within_days: int | None = strawberry.field(
        default=None, description="Active keys expiring within this many days; 1 to 3650."
    )


@strawberry.input(
    description="How to sort `apiKeys`: by one field, ties broken by id in the same "
    "direction; keys with a null value (never used, never expiring) come last in both "
    "directions."
)
class ApiKeyOrder:
    field: ApiKeyOrderFieldEnum = strawberry.field(description="The field to sort by.")
    direction: OrderDirectionEnum | None = strawberry.field(
        default=OrderDirection.DESC, description="DESC when left out or null."
    )


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="1 to 100 characters.")
    description: str | None = strawberry.field(
        default=None, description="Free text, up to 1000 characters."
    )
    scopes: list[ScopeEnum] = strawberry.field(
        description="At least one, and only scopes the calling key holds itself."
    )
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="In the future; null means the key never expires (refused when "
        "MAX_KEY_LIFETIME_DAYS is set).",
    )
    rate_limit_per_minute: int | None = strawberry.field(
        default=None,
        description="1 to 100000 requests a minute; null means no limit. A calling key with "
        "a limit must set one no higher.",
    )
    allowed_cidrs: list[str] | None = strawberry.field(
        default=None,
        description="IPv4/IPv6 networks or addresses the key may be used from (at most 50); "
        "null means anywhere. A calling key with an allow-list must set networks inside it.",
    )
    permissions: list[str] | None = strawberry.field(
        default=None,
        description="At most 1000 permission strings matching "
        "`^[a-z0-9_.-]+:[a-z0-9_.*-]+$`. A calling key grants only permissions it holds "
        "(FORBIDDEN, reason KEY_PERMISSIONS_EXCEEDED).",
    )
    remaining: int | None = strawberry.field(
        default=None, description="Credits, 0 or more; null is unlimited (or the refill amount)."
    )
    refill: KeyRefillInput | None = strawberry.field(
        default=None, description="Sets `remaining` back to an amount each UTC day or month."
    )
    service_account_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Make the key for this service account: it acts as the account and "
        "outlives its creator. A super-admin's to give (FORBIDDEN, reason "
        "SUPER_ADMIN_REQUIRED); null makes it for the caller's owner (a service account's "
        "key makes keys for its own account).",
    )


@strawberry.type(description="A new key, and its secret, shown this once.")
class CreateApiKeyPayload:
    api_key: ApiKeyType = strawberry.field(description="The new key.")
    secret: str = strawberry.field(
        description="The whole key, shown this once only: it is stored only as a hash."
    )


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="Every key in the portal, whoever created it, a page at a time: newest "
        "first unless `orderBy` says otherwise.",
    )
    async def api_keys(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[  # noqa: A002 - the contract's name
            ApiKeyFilter | None, strawberry.argument(description="Null lists every key.")
        ] = None,
        order_by: Annotated[
            ApiKeyOrder | None,
            strawberry.argument(description="Null sorts newest first (by id)."),
        ] = None,
    ) -> Connection[ApiKeyType]:
        criteria = filter or ApiKeyFilter()
        page = await api_keys.list_api_keys(
            page_request(info, first, after, last, before),
            with_total=selects_total_count(info),
            status=criteria.status,
            search=criteria.search,
            expiring_within_days=criteria.expiring_within_days,
            order_by=order_by.field if order_by else None,
            direction=(order_by and order_by.direction) or OrderDirection.DESC,
        )
        return ApiKeyType.connection(page)

    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="One key; null when the id names no key.",
    )
    async def api_key(self, info: Info, id: ApiKeyId) -> ApiKeyType | None:  # noqa: A002
        pk = pk_of(id, API_KEY)
        api_key = None if pk is None else await api_keys.get_api_key(pk)
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
    @mutation(
        action=AuditAction.API_KEY_CREATE,
        target=Target(AuditTarget.API_KEY),
        allow=allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE),
        events=["key.created"],
        description="A key can only create keys with scopes it holds itself (FORBIDDEN, "
        "reason KEY_SCOPE_EXCEEDED) and limits within its own rateLimitPerMinute and "
        "allowedCidrs (reason KEY_LIMITS_EXCEEDED).",
    )
    async def create_api_key(
        self,
        info: Info,
        input: Annotated[  # noqa: A002 - the contract's name
            CreateApiKeyInput, strawberry.argument(description="The new key.")
        ],
    ) -> CreateApiKeyPayload:
        created = await api_keys.create_api_key(
            info.context.principal,
            name=input.name,
            description=input.description,
            scopes=input.scopes,
            expires_at=input.expires_at,
            rate_limit_per_minute=input.rate_limit_per_minute,
            allowed_cidrs=input.allowed_cidrs,
            permissions=input.permissions,
            remaining=input.remaining,
            refill=input.refill.to_refill() if input.refill else None,
            max_lifetime_days=info.context.settings.max_key_lifetime_days,
            service_account_id=(
                None
                if input.service_account_id is None
                else require_pk(input.service_account_id, SERVICE_ACCOUNT)
            ),
        )
        return CreateApiKeyPayload(
            api_key=ApiKeyType.from_model(created.api_key), secret=created.secret
        )

    @mutation(
        action=AuditAction.API_KEY_REVOKE,
        target=Target(AuditTarget.API_KEY, argument="id"),
        allow=allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE),
        events=["key.revoked"],
        description="Revokes a key: immediate and final; revoking it again changes nothing.",
    )
    async def revoke_key(self, info: Info, id: ApiKeyId) -> ApiKeyType:  # noqa: A002
        key_id = require_pk(id, API_KEY)
        return ApiKeyType.from_model(await api_keys.revoke_key(info.context.principal, key_id))

    @mutation(
        action=AuditAction.API_KEY_DELETE,
        target=Target(AuditTarget.API_KEY, argument="id"),
        allow=allow(SUPER_ADMIN, scope=Scope.ADMIN),
        description="Deletes a key with its usage history; answers the deleted id. Revoke "
        "instead to keep the history.",
    )
    async def delete_api_key(self, info: Info, id: ApiKeyId) -> strawberry.ID:  # noqa: A002
        deleted = await api_keys.delete_api_key(info.context.principal, require_pk(id, API_KEY))
        return global_id(API_KEY, deleted)
