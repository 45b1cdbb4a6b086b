"""Recognising an API key and counting its call."""

from __future__ import annotations

from auth.call_counter import record_call
from auth.principal import Principal
from auth.tokens import hash_secret, is_well_formed_api_key
from core.clock import utcnow
from models import ApiKey, ApiKeyStatus, UserStatus


async def authenticate_api_key(secret: str) -> Principal | None:
    """Recognise a key and count the call. Unknown, revoked or expired keys, and keys whose
    owner is inactive or gone, are refused and not counted."""
    if not is_well_formed_api_key(secret):
        return None
    api_key = await ApiKey.get_or_none(key_hash=hash_secret(secret)).select_related("created_by")
    now = utcnow()
    if api_key is None or api_key.status_at(now) != ApiKeyStatus.ACTIVE:
        return None
    owner = api_key.created_by
    if owner is None or owner.status != UserStatus.ACTIVE:
        return None
    await record_call(api_key.id, now)
    return Principal(user=owner, api_key=api_key)
