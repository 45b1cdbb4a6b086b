"""Signing portal users in and out, and recognising their session tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auth.passwords import verify_password
from auth.principal import Principal
from auth.tokens import generate_session_token, hash_secret
from core.clock import utcnow
from core.errors import GatehouseError, unauthenticated
from core.observability import note_auth_failure
from models import Session, User, UserStatus
from resolvers.users import normalise_email

LOGIN_FAILED = "Invalid email or password."


@dataclass(frozen=True)
class LoginResult:
    token: str = field(repr=False)
    expires_at: datetime
    user: User


async def login(email: str, password: str, *, ttl: timedelta) -> LoginResult:
    """Open a session. A wrong email, a wrong password and an inactive account fail alike,
    and a password is verified even for an unknown email, so that neither the answer nor
    its timing tells an attacker which emails exist."""
    try:
        user = await User.get_or_none(email=normalise_email(email))
    except GatehouseError:  # a malformed email is just a failed login
        user = None
    verification = await verify_password(user.password_hash if user else None, password)
    if user is None or not verification.ok or user.status != UserStatus.ACTIVE:
        note_auth_failure("login")
        raise unauthenticated(LOGIN_FAILED)

    now = utcnow()
    token = generate_session_token()
    session = await Session.create(user=user, token_hash=hash_secret(token), expires_at=now + ttl)
    user.last_login_at = now
    update_fields = ["last_login_at"]
    if verification.new_hash:
        user.password_hash = verification.new_hash
        update_fields.append("password_hash")
    await user.save(update_fields=update_fields)
    await Session.filter(expires_at__lte=now).delete()
    return LoginResult(token=token, expires_at=session.expires_at, user=user)


async def logout(principal: Principal) -> bool:
    if principal.session is None:
        return False
    await Session.filter(id=principal.session.id).delete()
    return True
