"""Keys for other backends: `verifyApiKey`, and `disableKey` / `enableKey`.

`POST /v1/keys/verify` (gatehouse.v1) answers the same `VerifyKeyResult` fields as JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from auth.audit import AuditAction, AuditTarget
from core.enums import Scope
from resolvers import key_switches, key_verification
from resolvers.key_verification import Verification
from schema.api_keys import ApiKeyType
from schema.changes import Target, mutation
from schema.context import Context
from schema.enums import ScopeEnum
from schema.ids import API_KEY, ApiKeyId, global_id, require_pk
from schema.permissions import ADMIN, SUPER_ADMIN, allow

Info = strawberry.Info[Context, None]


@strawberry.input(description="A key to verify, and what to check it for.")
class VerifyKeyInput:
    key: str = strawberry.field(description="The whole key (secret) a client presented.")
    permissions: str | None = strawberry.field(
        default=None,
        description="An expression over permission strings with AND, OR and parentheses, "
        "e.g. `invoices:read AND (invoices:write OR admin:*)`; null checks none.",
    )
    cost: int | None = strawberry.field(
        default=1, description="Credits a VALID verification spends: 0 or more (default 1)."
    )
    operation: str | None = strawberry.field(
        default=None, description="What the caller is doing, recorded with the key's call."
    )
    client_address: str | None = strawberry.field(
        default=None,
        description="The address the key was presented from, checked against its "
        "allowedCidrs (a key with an allow-list and no address is IP_BLOCKED).",
    )


@strawberry.type(description="Who a verified key acts as.")
class VerifyKeyOwner:
    type: str = strawberry.field(description="USER or SERVICE_ACCOUNT.")
    id: strawberry.ID = strawberry.field(description="The owner's global id.")
    name: str = strawberry.field(description="A user's display name, or the account's name.")


@strawberry.type(description="The verified key's rate-limit window after this verification.")
class VerifyKeyRateLimit:
    limit: int = strawberry.field(description="Calls a minute (rateLimitPerMinute).")
    remaining: int = strawberry.field(description="Calls left in this window.")
    reset_at: datetime = strawberry.field(description="When the window ends.")


@strawberry.type(description="A verification's verdict; `code` says why a key is not valid.")
class VerifyKeyResult:
    valid: bool = strawberry.field(description="True only with code VALID.")
    code: str = strawberry.field(
        description="VALID, NOT_FOUND, DISABLED, REVOKED, EXPIRED, IP_BLOCKED, "
        "INSUFFICIENT_PERMISSIONS, RATE_LIMITED or USAGE_EXCEEDED."
    )
    key_id: strawberry.ID | None = strawberry.field(description="Null with NOT_FOUND.")
    name: str | None = strawberry.field(description="The key's name; null with NOT_FOUND.")
    owner: VerifyKeyOwner | None = strawberry.field(
        description="Null with NOT_FOUND, and for a revoked key whose owner was deleted."
    )
    scopes: list[ScopeEnum] = strawberry.field(description="The key's scopes on Gatehouse.")
    permissions: list[str] = strawberry.field(description="The key's permission strings.")
    expires_at: datetime | None = strawberry.field(description="Null means never.")
    ratelimit: VerifyKeyRateLimit | None = strawberry.field(
        description="Null for a key without rateLimitPerMinute, or when a check before the "
        "rate limit failed."
    )
    remaining: int | None = strawberry.field(description="Credits left; null is unlimited.")

    @classmethod
    def from_verification(cls, verification: Verification) -> VerifyKeyResult:
        owner = verification.owner
        window = verification.ratelimit
        reset_at = verification.ratelimit_reset_at
        return cls(
            valid=verification.valid,
            code=verification.code,
            key_id=None if verification.key_id is None else global_id(API_KEY, verification.key_id),
            name=verification.name,
            owner=None
            if owner is None
            else VerifyKeyOwner(
                type=owner.type, id=global_id(owner.node_type, owner.pk), name=owner.name
            ),
            scopes=verification.scopes,
            permissions=verification.permissions,
            expires_at=verification.expires_at,
            ratelimit=None
            if window is None or reset_at is None
            else VerifyKeyRateLimit(
                limit=window.limit, remaining=window.remaining, reset_at=reset_at
            ),
            remaining=verification.remaining,
        )


@strawberry.type
class KeyVerificationMutation:
    @mutation(
        action=AuditAction.API_KEY_VERIFY,
        target=Target(AuditTarget.API_KEY),
        allow=allow(SUPER_ADMIN, ADMIN, scope=Scope.VERIFY),
        changes_credentials=False,
        description="Verifies a key for another backend: a key with the VERIFY scope (a "
        "root key), or a SUPER_ADMIN or ADMIN session. A VALID verification is one call of "
        "the verified key and spends `cost` credits and one unit of its rate limit. A "
        "malformed expression is BAD_USER_INPUT (reason INVALID_PERMISSION_EXPRESSION, "
        "`extensions.position`).",
    )
    async def verify_api_key(
        self,
        info: Info,
        input: Annotated[  # noqa: A002 - the contract's name
            VerifyKeyInput, strawberry.argument(description="The key and what to check.")
        ],
    ) -> VerifyKeyResult:
        request = key_verification.checked_request(
            input.key, input.permissions, input.cost, input.operation, input.client_address
        )
        verification = await key_verification.verify_key(
            info.context.principal, request, info.context.runtime
        )
        return VerifyKeyResult.from_verification(verification)

    @mutation(
        action=AuditAction.API_KEY_DISABLE,
        target=Target(AuditTarget.API_KEY, argument="id"),
        allow=allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE),
        events=["key.disabled"],
        description="Stops a key until enableKey: it authenticates nowhere and verifies as "
        "DISABLED. As revokeKey; disabling a disabled or revoked key changes nothing.",
    )
    async def disable_key(self, info: Info, id: ApiKeyId) -> ApiKeyType:  # noqa: A002
        api_key = await key_switches.disable_key(info.context.principal, require_pk(id, API_KEY))
        return ApiKeyType.from_model(api_key)

    @mutation(
        action=AuditAction.API_KEY_ENABLE,
        target=Target(AuditTarget.API_KEY, argument="id"),
        allow=allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE),
        events=["key.enabled"],
        description="Starts a disabled key again. It re-opens access, so as updateApiKey: "
        "the key's owner or a super-admin (FORBIDDEN, reason NOT_KEY_OWNER), and a key "
        "needs every scope of the key it enables (reason KEY_SCOPE_EXCEEDED). A revoked key "
        "cannot be enabled (CONFLICT).",
    )
    async def enable_key(self, info: Info, id: ApiKeyId) -> ApiKeyType:  # noqa: A002
        api_key = await key_switches.enable_key(info.context.principal, require_pk(id, API_KEY))
        return ApiKeyType.from_model(api_key)
