"""Disabling a key, reversibly, and enabling it again.

Stopping a key is always allowed to those who may revoke it (`disableKey` is as
`revokeKey`). Starting it again re-opens access, so `enableKey` is as `updateApiKey`: the
key's owner or a super-admin (FORBIDDEN, reason NOT_KEY_OWNER), and a key enabling another
key needs every scope of that key (reason KEY_SCOPE_EXCEEDED). A revoked key cannot be
enabled (CONFLICT): revocation is final. Nothing is cached anywhere, so both take effect on
the next request in every process.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audited
from auth.principal import Principal
from core.clock import utcnow
from core.errors import ErrorCode, GatehouseError, forbidden
from models import ApiKey, Role
from resolvers.api_keys import require_api_key
from resolvers.key_authority import NOT_KEY_OWNER, check_key_holds, owns


async def disable_key(actor: Principal, key_id: int) -> ApiKey:
    async with (
        audited(
            actor, AuditAction.API_KEY_DISABLE, target_type=AuditTarget.API_KEY, target_id=key_id
        ) as event,
        in_transaction(),
    ):
        api_key = await require_api_key(key_id)
        # Conditional, so the first disable time is kept and a revoked key is left alone.
        disabled = await ApiKey.filter(
            id=api_key.id, disabled_at__isnull=True, revoked_at__isnull=True
        ).update(disabled_at=utcnow())
        if not disabled:
            event.nothing_changed()
            return api_key
        api_key = await ApiKey.get(id=api_key.id)
        event.details = {"name": api_key.name}
        await event.emit("key.disabled", api_key)
        await event.record()
    return api_key


async def enable_key(actor: Principal, key_id: int) -> ApiKey:
    async with (
        audited(
            actor, AuditAction.API_KEY_ENABLE, target_type=AuditTarget.API_KEY, target_id=key_id
        ) as event,
        in_transaction(),
    ):
        api_key = await require_api_key(key_id)
        if not (owns(actor, api_key) or actor.role == Role.SUPER_ADMIN):
            raise forbidden(
                "Only the key's owner or a super-admin may enable it.", reason=NOT_KEY_OWNER
            )
        check_key_holds(actor, api_key.scopes)
        if api_key.revoked_at is not None:
            raise GatehouseError(ErrorCode.CONFLICT, "A revoked key cannot be enabled.")
        enabled = await ApiKey.filter(
            id=api_key.id, disabled_at__isnull=False, revoked_at__isnull=True
        ).update(disabled_at=None)
        if not enabled:
            event.nothing_changed()
            return api_key
        api_key = await ApiKey.get(id=api_key.id)
        event.details = {"name": api_key.name}
        await event.emit("key.enabled", api_key)
        await event.record()
    return api_key
