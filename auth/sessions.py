"""Recognising a session token."""

from __future__ import annotations

from auth.principal import Principal
from auth.tokens import hash_secret, is_well_formed_session_token
from core.clock import utcnow
from core.observability import note_auth_failure
from models import Session, UserStatus


async def authenticate_session(token: str) -> Principal | None:
    if not is_well_formed_session_token(token):
        note_auth_failure("malformed")
        return None
    session = await Session.get_or_none(token_hash=hash_secret(token)).select_related("user")
    if session is None:
        note_auth_failure("unknown")  # never issued, or ended by logout or a reset
        return None
    if session.expires_at <= utcnow():
        note_auth_failure("expired")
        return None
    if session.user.status != UserStatus.ACTIVE:
        note_auth_failure("inactive")
        return None
    return Principal(user=session.user, session=session)
