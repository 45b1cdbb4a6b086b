"""Recognising a session token."""

from __future__ import annotations

from auth.principal import Principal
from auth.tokens import hash_secret, is_well_formed_session_token
from core.clock import utcnow
from models import Session, UserStatus


async def authenticate_session(token: str) -> Principal | None:
    if not is_well_formed_session_token(token):
        return None
    session = await Session.get_or_none(
        token_hash=hash_secret(token), expires_at__gt=utcnow()
    ).select_related("user")
    if session is None or session.user.status != UserStatus.ACTIVE:
        return None
    return Principal(user=session.user, session=session)
