"""Recognising a session token."""

from __future__ import annotations

from auth.principal import Principal
from auth.tokens import hash_secret, is_well_formed_session_token
from core.clock import utcnow
from core.observability import note_auth_failure
from models import Session, User, UserStatus
from models.lookups import RowWithRelated

# Built once rather than through a queryset on every request: see models.lookups. Expiry is
# checked here rather than in SQL, so that an expired token is told from an unknown one.
_SESSION_WITH_USER = RowWithRelated(Session, "user", User, 'm."token_hash" = ?')


async def authenticate_session(token: str) -> Principal | None:
    if not is_well_formed_session_token(token):
        note_auth_failure("malformed")
        return None
    found = await _SESSION_WITH_USER.fetch(hash_secret(token))
    if found is None:
        note_auth_failure("unknown")  # never issued, or ended by logout or a reset
        return None
    session, user = found
    if session.expires_at <= utcnow():
        note_auth_failure("expired")
        return None
    if user.status != UserStatus.ACTIVE:
        note_auth_failure("inactive")
        return None
    return Principal(user=user, session=session)
