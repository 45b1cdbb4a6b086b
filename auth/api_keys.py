"""Recognising an API key and counting its call."""

from __future__ import annotations

from auth.call_counter import record_call
from auth.principal import Principal
from auth.tokens import hash_secret, is_well_formed_api_key
from core.clock import utcnow
from models import ApiKey, ApiKeyStatus, User, UserStatus
from models.lookups import RowWithRelated

# Built once rather than through a queryset on every request: see models.lookups.
_KEY_WITH_OWNER = RowWithRelated(ApiKey, "created_by", User, 'm."key_hash" = ?')


async def authenticate_api_key(secret: str) -> Principal | None:
    """Recognise a key and count the call. Unknown, revoked or expired keys, and keys whose
    owner is inactive or gone, are refused and not counted."""
    if not is_well_formed_api_key(secret):
        return None
    found = await _KEY_WITH_OWNER.fetch(hash_secret(secret))
    if found is None:  # unknown, or its owner is gone
        return None
    api_key, owner = found
    now = utcnow()
    if api_key.status_at(now) != ApiKeyStatus.ACTIVE or owner.status != UserStatus.ACTIVE:
        return None
    await record_call(api_key.id, now)
    return Principal(user=owner, api_key=api_key)
