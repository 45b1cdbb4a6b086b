from __future__ import annotations

from typing import Annotated, Any

import strawberry

from auth.audit import AuditAction, AuditTarget
from core.enums import Scope
from resolvers import key_changes
from schema.api_keys import ApiKeyType, CreateApiKeyPayload, KeyRefillInput
from schema.changes import Target, mutation
from schema.context import Context
from schema.ids import API_KEY, ApiKeyId, require_pk
from schema.permissions import ADMIN, SUPER_ADMIN, allow

Info = strawberry.Info[Context, None]


@strawberry.input(description="Only the fields given change; null clears the optional ones.")
class UpdateApiKeyInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="1 to 100 characters."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 1000 characters; null clears it."
    )
    rate_limit_per_minute: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="1 to 100000; null removes the limit. Never by the key itself (FORBIDDEN, "
        "reason OWN_KEY_LIMITS).",
    )
    allowed_cidrs: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="At most 50 IPv4/IPv6 networks or addresses; null allows every address. "
        "Never by the key itself (FORBIDDEN, reason OWN_KEY_LIMITS).",
    )

    permissions: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces the key's permissions; null or [] removes them. Never by the "
        "key itself (reason OWN_KEY_LIMITS).",
    )
    remaining: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Sets the credits left (starting a new refill period); null makes the key "
        "unlimited and drops its refill. Never by the key itself (reason OWN_KEY_LIMITS).",
    )
    refill: KeyRefillInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Sets or (null) drops the refill. Never by the key itself.",
    )


def _given(value: Any) -> Any:
    return key_changes.UNCHANGED if value is strawberry.UNSET else value


@strawberry.type
class KeyChangeMutation:
    @mutation(
        action=AuditAction.API_KEY_ROLL,
        target=Target(AuditTarget.API_KEY, argument="id"),
        allow=allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE),
        events=["key.rolled"],
        description="A new secret for the same key, shown this once. Only the key's owner may "
        "roll it (FORBIDDEN, reason NOT_KEY_OWNER), and a key rolling another key needs every "
        "scope of that key (reason KEY_SCOPE_EXCEEDED) and that key's limits within its own "
        "(reason KEY_LIMITS_EXCEEDED). The old secret keeps "
        "working for gracePeriodSeconds (0 ends it now; at most MAX_ROLL_GRACE_SECONDS; never "
        "past the key's expiry). Revoked and expired keys cannot be rolled (CONFLICT).",
    )
    async def roll_key(
        self,
        info: Info,
        id: ApiKeyId,  # noqa: A002
        grace_period_seconds: Annotated[
            int, strawberry.argument(description="0 ends the old secret now.")
        ] = 0,
    ) -> CreateApiKeyPayload:
        rolled = await key_changes.roll_key(
            info.context.principal,
            require_pk(id, API_KEY),
            grace_period_seconds=grace_period_seconds,
            max_grace_seconds=info.context.settings.max_roll_grace_seconds,
        )
        return CreateApiKeyPayload(
            api_key=ApiKeyType.from_model(rolled.api_key), secret=rolled.secret
        )

    @mutation(
        action=AuditAction.API_KEY_UPDATE,
        target=Target(AuditTarget.API_KEY, argument="id"),
        allow=allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE),
        description="Name, description, rate limit and allow-list; never scopes or secret. "
        "The key's owner or a super-admin only (FORBIDDEN, reason NOT_KEY_OWNER); a key "
        "changing another key needs every scope of that key (reason KEY_SCOPE_EXCEEDED) and "
        "leaves its limits within its own (reason KEY_LIMITS_EXCEEDED), and never changes "
        "its own rate limit or allow-list (reason OWN_KEY_LIMITS).",
    )
    async def update_api_key(
        self,
        info: Info,
        id: ApiKeyId,  # noqa: A002
        input: Annotated[  # noqa: A002 - the contract's name
            UpdateApiKeyInput, strawberry.argument(description="The fields to change.")
        ],
    ) -> ApiKeyType:
        api_key = await key_changes.update_api_key(
            info.context.principal,
            require_pk(id, API_KEY),
            name=_given(input.name),
            description=_given(input.description),
            rate_limit_per_minute=_given(input.rate_limit_per_minute),
            allowed_cidrs=_given(input.allowed_cidrs),
            permissions=_given(input.permissions),
            remaining=_given(input.remaining),
            refill=_given(input.refill.to_refill() if input.refill else input.refill),
        )
        return ApiKeyType.from_model(api_key)
