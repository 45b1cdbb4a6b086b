"""Work done by the system rather than a caller: revoking unused keys, expiry events, and the
operator's revocation from the command line. Every step is safe to run in several
processes at once: each change is conditional and only the process that made it reports it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audit
from auth.tokens import hash_secret, is_well_formed_api_key
from core.clock import utcnow
from core.enums import ApiKeyStatus
from core.errors import bad_input
from models import ApiKey, WebhookEvent
from models.webhooks import enqueue_key_event, new_event, outbox_enabled
from resolvers.api_keys import expiring_filter, status_filter

EXPIRED_EVENT_HORIZON = timedelta(days=30)
# Delivered events are kept a while for inspection; those with a dedupe key stay for good,
# since they are what keeps `key.expiring` and `key.expired` from being sent twice.
DELIVERED_EVENTS_KEPT = timedelta(days=30)


@dataclass(frozen=True)
class SweepReport:
    revoked: list[ApiKey]
    expiry_events: int
    pruned_events: int = 0


async def revoke_by_system(api_key: ApiKey, details: dict[str, Any]) -> bool:
    """Revoke, audit as the system and announce, in one transaction; False when the key was
    already revoked (by another sweep, perhaps at this very moment)."""
    async with in_transaction():
        now = utcnow()
        revoked = await ApiKey.filter(id=api_key.id, revoked_at__isnull=True).update(revoked_at=now)
        if not revoked:
            return False
        api_key.revoked_at = now
        await audit(
            None,
            AuditAction.API_KEY_REVOKE,
            target_type=AuditTarget.API_KEY,
            target_id=api_key.id,
            details=details,
        )
        await enqueue_key_event("key.revoked", api_key)
    return True


async def sweep_unused_keys(unused_days: int) -> list[ApiKey]:
    """Revoke active keys with no call for `unused_days` (counting from creation for keys
    never used)."""
    now = utcnow()
    cutoff = now - timedelta(days=unused_days)
    unused = Q(last_used_at__lt=cutoff) | Q(last_used_at__isnull=True, created_at__lt=cutoff)
    candidates = await ApiKey.filter(status_filter(ApiKeyStatus.ACTIVE, now) & unused)
    details = {"reason": "unused", "unusedForDays": unused_days}
    return [key for key in candidates if await revoke_by_system(key, details)]


async def enqueue_expiry_events(warning_days: int) -> int:
    """`key.expiring` once per key and expiry date, within `warning_days` of it, and
    `key.expired` once per key that expired unrevoked in the last 30 days. Returns how many
    were queued (a process racing this one may have queued some of them first)."""
    if not outbox_enabled():
        return 0
    now = utcnow()
    expiring = await ApiKey.filter(expiring_filter(now, timedelta(days=warning_days)))
    # Keys long dead before webhooks were turned on are not announced.
    expired = await ApiKey.filter(
        status_filter(ApiKeyStatus.EXPIRED, now), expires_at__gt=now - EXPIRED_EVENT_HORIZON
    )
    wanted = {
        f"key.expiring:{key.id}:{_stamp(key.expires_at)}": ("key.expiring", key) for key in expiring
    } | {f"key.expired:{key.id}": ("key.expired", key) for key in expired}
    if not wanted:
        return 0
    sent: set[str] = {
        str(row)
        for row in await WebhookEvent.filter(dedupe_key__in=list(wanted)).values_list(
            "dedupe_key", flat=True
        )
    }
    # In one order, so two processes inserting the same rows queue on the first rather than
    # each waiting on a row the other inserted.
    events = [
        new_event(event_type, key, dedupe_key)
        for dedupe_key, (event_type, key) in sorted(wanted.items(), key=lambda item: item[0])
        if dedupe_key not in sent
    ]
    if events:
        # A process doing the same at this moment loses the race on the unique dedupe key.
        await WebhookEvent.bulk_create(events, ignore_conflicts=True)
    return len(events)


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


async def sweep(*, unused_days: int | None, warning_days: int) -> SweepReport:
    revoked = await sweep_unused_keys(unused_days) if unused_days is not None else []
    expiry_events = await enqueue_expiry_events(warning_days)
    pruned = await WebhookEvent.filter(
        delivered_at__lt=utcnow() - DELIVERED_EVENTS_KEPT, dedupe_key__isnull=True
    ).delete()
    return SweepReport(revoked=revoked, expiry_events=expiry_events, pruned_events=pruned)


async def find_keys_by_mask(value: str) -> list[ApiKey]:
    """Keys matching what an operator found: the whole key (from a leaked log line), its
    masked form `gk_Ab12…wXyZ` (or with `...`), or the start of its prefix."""
    value = value.strip()
    if is_well_formed_api_key(value):
        secret_hash = hash_secret(value)
        return await ApiKey.filter(Q(key_hash=secret_hash) | Q(previous_key_hash=secret_hash))
    for ellipsis in ("…", "..."):
        if ellipsis in value:
            prefix, _, last_four = value.partition(ellipsis)
            if not prefix or not last_four:
                break
            return await ApiKey.filter(key_prefix=prefix, key_last_four=last_four)
    if len(value) < len("gk_") + 1 or "…" in value or "..." in value:
        raise bad_input(
            "Give the masked key (gk_Ab12…wXyZ), the key itself, or its prefix (gk_Ab12)."
        )
    return await ApiKey.filter(key_prefix__startswith=value[: len("gk_") + 4])
