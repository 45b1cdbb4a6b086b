"""Changing a key in place: a new secret with a grace period for the old one, and edits of
its name, description, rate limit and allow-list (never its scopes or secret)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audited
from auth.mfa import require_step_up
from auth.principal import Principal
from auth.tokens import generate_api_key
from core.clock import utcnow
from core.enums import RefillInterval
from core.errors import ErrorCode, GatehouseError, bad_input
from models import ApiKey, ApiKeyStatus, Scope
from resolvers.api_keys import CreatedApiKey, require_api_key
from resolvers.key_authority import check_may_roll, check_may_update
from resolvers.key_rules import (
    Refill,
    check_description,
    check_rate_limit,
    checked_name,
    credit_fields,
    encode_cidrs,
    encode_permissions,
)


def conflict(message: str) -> GatehouseError:
    return GatehouseError(ErrorCode.CONFLICT, message)


async def roll_key(
    actor: Principal, key_id: int, *, grace_period_seconds: int, max_grace_seconds: int
) -> CreatedApiKey:
    """The same key gets a new secret; the old one keeps working for the grace period only,
    never past the key's own expiry. Only the secret just replaced survives a roll: rolling
    again inside a grace period ends the older secret at once. Only the key's owner may roll
    it (`check_may_roll`): the answer is a working secret."""
    async with audited(
        actor, AuditAction.API_KEY_ROLL, target_type=AuditTarget.API_KEY, target_id=key_id
    ) as event:
        event.details = {"gracePeriodSeconds": grace_period_seconds}
        if grace_period_seconds < 0:
            raise bad_input("`gracePeriodSeconds` must be 0 or more.")
        if grace_period_seconds > max_grace_seconds:
            raise bad_input(
                f"`gracePeriodSeconds` must be at most {max_grace_seconds} "
                "(MAX_ROLL_GRACE_SECONDS)."
            )
        api_key = await require_api_key(key_id)
        check_may_roll(actor, api_key)
        if Scope.ADMIN in api_key.scopes:
            await require_step_up(actor)
        now = utcnow()
        status = api_key.status_at(now)
        if status != ApiKeyStatus.ACTIVE:
            # Revocation is final and an expired key is dead: a new secret would revive them.
            raise conflict(f"A {status.value.lower()} key cannot be rolled.")

        previous_expires_at = None
        if grace_period_seconds:
            previous_expires_at = now + timedelta(seconds=grace_period_seconds)
            if api_key.expires_at is not None:
                previous_expires_at = min(previous_expires_at, api_key.expires_at)
        event.details["previousSecretExpiresAt"] = (
            previous_expires_at.isoformat() if previous_expires_at else None
        )
        new_key = generate_api_key()
        async with in_transaction():
            # Conditional on the secret we read, so two rolls at once cannot both win and the
            # loser's secret can never be shown as valid; and on the limits that were
            # checked, so an edit in between cannot hand a limited key an unlimited secret.
            rolled = await ApiKey.filter(
                id=api_key.id,
                key_hash=api_key.key_hash,
                revoked_at__isnull=True,
                rate_limit_per_minute=api_key.rate_limit_per_minute,
                allowed_cidrs_encoded=api_key.allowed_cidrs_encoded,
            ).update(
                key_hash=new_key.hash,
                key_prefix=new_key.display_prefix,
                key_last_four=new_key.last_four,
                previous_key_hash=api_key.key_hash if previous_expires_at else None,
                previous_secret_expires_at=previous_expires_at,
                rolled_at=now,
            )
            if not rolled:
                raise conflict(
                    "The key was rolled, revoked or changed meanwhile; read it and try again."
                )
            api_key = await ApiKey.get(id=api_key.id)
            await event.record()
            await event.emit("key.rolled", api_key)
    return CreatedApiKey(api_key=api_key, secret=new_key.secret)


UNCHANGED: Any = object()


async def update_api_key(
    actor: Principal,
    key_id: int,
    *,
    name: Any = UNCHANGED,
    description: Any = UNCHANGED,
    rate_limit_per_minute: Any = UNCHANGED,
    allowed_cidrs: Any = UNCHANGED,
    permissions: Any = UNCHANGED,
    remaining: Any = UNCHANGED,
    refill: Any = UNCHANGED,
) -> ApiKey:
    """Each argument left UNCHANGED is kept; None clears the optional ones. The key's owner
    or a super-admin may change it (`check_may_update`), a key never its own limits."""
    async with audited(
        actor, AuditAction.API_KEY_UPDATE, target_type=AuditTarget.API_KEY, target_id=key_id
    ) as event:
        changes: dict[str, Any] = {}
        if name is not UNCHANGED:
            if name is None:
                raise bad_input("`name` cannot be null.")
            changes["name"] = checked_name(name)
        if description is not UNCHANGED:
            check_description(description)
            changes["description"] = description
        if rate_limit_per_minute is not UNCHANGED:
            check_rate_limit(rate_limit_per_minute)
            changes["rate_limit_per_minute"] = rate_limit_per_minute
        if allowed_cidrs is not UNCHANGED:
            changes["allowed_cidrs_encoded"] = encode_cidrs(allowed_cidrs)
        if permissions is not UNCHANGED:
            changes["permissions_encoded"] = encode_permissions(permissions)
        event.details = {"requested": _described(changes)}
        api_key = await require_api_key(key_id)
        changes.update(_credit_changes(api_key, remaining, refill))
        changed = {
            field: value for field, value in changes.items() if getattr(api_key, field) != value
        }
        check_may_update(actor, api_key, changed)
        if Scope.ADMIN in api_key.scopes:
            await require_step_up(actor)
        if not changed:
            event.nothing_changed()
            return api_key
        event.details = {"changed": _described(changed)}
        async with in_transaction():
            await ApiKey.filter(id=api_key.id).update(**changed)
            api_key = await ApiKey.get(id=api_key.id)
            await event.record()
    return api_key


_FIELD_NAMES = {
    "name": "name",
    "description": "description",
    "rate_limit_per_minute": "rateLimitPerMinute",
    "allowed_cidrs_encoded": "allowedCidrs",
    "permissions_encoded": "permissions",
    "remaining": "remaining",
    "refill_amount": "refillAmount",
    "refill_interval": "refillInterval",
}


def _credit_changes(api_key: ApiKey, remaining: Any, refill: Any) -> dict[str, Any]:
    """`remaining` or `refill` given: the key's credit fields as they would be. Null
    `remaining` makes the key unlimited (and drops its refill); null `refill` drops it.
    Setting `remaining` starts a new refill period; changing only the refill keeps it."""
    if remaining is UNCHANGED and refill is UNCHANGED:
        return {}
    current = None
    if api_key.refill_amount is not None and api_key.refill_interval is not None:
        current = Refill(int(api_key.refill_amount), RefillInterval(api_key.refill_interval))
    new_refill = current if refill is UNCHANGED else refill
    new_remaining = api_key.remaining if remaining is UNCHANGED else remaining
    if remaining is None:
        new_refill = None
    fields = credit_fields(new_remaining, new_refill, utcnow())
    if remaining is UNCHANGED and new_refill == current:
        fields["refilled_at"] = api_key.refilled_at
    return fields


def _described(changed: dict[str, Any]) -> dict[str, Any]:
    described = {}
    for field, value in changed.items():
        if field in {"allowed_cidrs_encoded", "permissions_encoded"} and value is not None:
            value = value.split(",")
        if field == "refilled_at":
            continue
        described[_FIELD_NAMES[field]] = value
    return described
