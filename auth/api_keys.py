"""Recognising an API key and counting its call."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from auth.principal import Principal
from auth.tokens import hash_secret, is_well_formed_api_key
from core.clock import utcnow
from core.observability import note_auth_failure
from models import ApiKey, ApiKeyStatus, ApiKeyUsageDay, UserStatus


async def authenticate_api_key(secret: str) -> Principal | None:
    """Recognise a key and count the call. Unknown, revoked or expired keys, and keys whose
    owner is inactive or gone, are refused and not counted."""
    if not is_well_formed_api_key(secret):
        note_auth_failure("malformed")
        return None
    api_key = await ApiKey.get_or_none(key_hash=hash_secret(secret)).select_related("created_by")
    now = utcnow()
    if api_key is None:
        note_auth_failure("unknown")
        return None
    status = api_key.status_at(now)
    if status != ApiKeyStatus.ACTIVE:
        note_auth_failure(status.value.lower())
        return None
    owner = api_key.created_by
    if owner is None or owner.status != UserStatus.ACTIVE:
        note_auth_failure("inactive")
        return None
    await record_call(api_key.id, now)
    return Principal(user=owner, api_key=api_key)


async def record_call(key_id: int, now: datetime) -> None:
    # Increments run in the database, so concurrent requests and several server
    # processes never lose a count the way read-modify-write in Python would.
    day = now.date()
    usage = ApiKeyUsageDay.filter(api_key_id=key_id, day=day)
    # One transaction, so the usual case costs one commit.
    async with in_transaction():
        await ApiKey.filter(id=key_id).update(total_calls=F("total_calls") + 1, last_used_at=now)
        if await usage.update(calls=F("calls") + 1):
            return
    # The day's first call; outside the transaction, because on PostgreSQL a failed
    # insert would abort it.
    try:
        await ApiKeyUsageDay.create(api_key_id=key_id, day=day, calls=1)
    except IntegrityError:
        # Another request created today's row first; count on it.
        await usage.update(calls=F("calls") + 1)
