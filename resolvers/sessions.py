"""Signing portal users in and out, and recognising their session tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from auth.audit import audit
from auth.passwords import hash_password, validate_password, verify_password
from auth.principal import Principal
from auth.tokens import generate_session_token, hash_secret
from core.clock import utcnow
from core.errors import GatehouseError, forbidden, unauthenticated
from models import Session, User, UserStatus
from resolvers.users import normalise_email

LOGIN_FAILED = "Invalid email or password."
REFUSED_CHANGE = "The current password is wrong."


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


async def change_password(principal: Principal, current_password: str, new_password: str) -> bool:
    """Replace one's own password. Every other session of the user ends, so a session that
    leaked ends with the change; the caller's own session goes on."""
    session = principal.session
    if session is None:
        raise forbidden("changePassword is for a signed-in user, not an API key.")
    validate_password(new_password)
    await _verify_current_password(principal, current_password)
    new_hash = await hash_password(new_password)
    user = principal.user
    async with in_transaction():
        await User.filter(id=user.id).update(password_hash=new_hash, updated_at=utcnow())
        await Session.filter(user_id=user.id).exclude(id=session.id).delete()
        await audit(principal, "user.change_password", target_type="user", target_id=user.id)
    return True


async def _verify_current_password(principal: Principal, current_password: str) -> None:
    """The one place changePassword checks a password: throttling of guesses (as for
    `login`) belongs here. A wrong password is FORBIDDEN, not UNAUTHENTICATED: the session
    is still valid, and clients treat UNAUTHENTICATED as "sign in again"."""
    user = await User.get_or_none(id=principal.user.id)
    if user is None:  # deleted since this request was authenticated
        raise unauthenticated()
    verification = await verify_password(user.password_hash, current_password)
    if not verification.ok:
        await audit(
            principal,
            "user.change_password",
            outcome="FORBIDDEN",
            target_type="user",
            target_id=user.id,
        )
        raise forbidden(REFUSED_CHANGE)
