"""Recognising a session token."""

from __future__ import annotations

from auth.principal import Principal
from auth.tokens import hash_secret, is_well_formed_session_token
from core.clock import utcnow
from models import Session, User, UserStatus
from models.lookups import RowWithRelated

# Built once rather than through a queryset on every request: see models.lookups.
_SESSION_WITH_USER = RowWithRelated(
    Session, "user", User, 'm."token_hash" = ? AND m."expires_at" > ?'
)


async def authenticate_session(token: str) -> Principal | None:
    if not is_well_formed_session_token(token):
        return None
    found = await _SESSION_WITH_USER.fetch(
        hash_secret(token), _SESSION_WITH_USER.db_value("expires_at", utcnow())
    )
    if found is None:
        return None
    session, user = found
    if user.status != UserStatus.ACTIVE:
        return None
    return Principal(user=user, session=session)
