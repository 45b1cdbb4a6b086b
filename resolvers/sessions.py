"""Signing portal users in and out, and recognising their session tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audit
from auth.mfa import refresh_restriction, sign_in_state
from auth.password_policy import check_password
from auth.passwords import Verification
from auth.principal import Actor, Principal
from auth.runtime import hash_password, password_attempt, verify_password
from auth.sessions import clean_user_agent
from auth.throttle import ThrottledError
from auth.tokens import generate_session_token, hash_secret
from core.clock import utcnow
from core.enums import MfaMethod, SessionRestriction
from core.errors import ErrorCode, GatehouseError, forbidden, unauthenticated
from core.observability import note_auth_failure
from core.text import has_control_characters
from models import Session, User, UserStatus
from models.conflicts import delete_ended_rows
from resolvers.users import MAX_EMAIL_LENGTH, normalise_email

LOGIN_FAILED = "Invalid email or password."
REFUSED_CHANGE = "The current password is wrong."


@dataclass(frozen=True)
class LoginResult:
    token: str = field(repr=False)
    expires_at: datetime
    user: User
    # What the session may do before it is trusted (None: a full session), and what
    # verifyMfa accepts for this user.
    restriction: SessionRestriction | None = None
    mfa_methods: list[MfaMethod] = field(default_factory=list)


async def login(
    actor: Actor, email: str, password: str, *, ttl: timedelta, user_agent: str | None = None
) -> LoginResult:
    """Open a session. A wrong email, a wrong password and an inactive account fail alike,
    and a password is verified even for an unknown email, so that neither the answer nor
    its timing tells an attacker which emails exist. Every attempt is audited; only the
    audit log, read by super-admins, says why one failed. Throttled per account and per
    address: a lock refuses before any verification, and only failures count (see
    `auth.throttle`). The session records the client's address and `user_agent`."""
    try:
        user, verification = await _check_password(actor, email, password)
    except ThrottledError:
        await _audit_refusal(actor, email)
        raise

    now = utcnow()
    # A password alone opens a restricted session for a user with a second factor.
    state = await sign_in_state(user, factor_verified=False)
    async with in_transaction():
        session, token = await open_session(
            user,
            ttl=ttl,
            now=now,
            client_address=actor.client_address,
            user_agent=user_agent,
            restriction=state.restriction,
        )
        user.last_login_at = now
        update_fields = ["last_login_at"]
        if verification.new_hash:
            user.password_hash = verification.new_hash
            update_fields.append("password_hash")
        await user.save(update_fields=update_fields)
        await audit(
            Principal(user=user, session=session, client_address=actor.client_address),
            AuditAction.SESSION_LOGIN,
            target_type=AuditTarget.USER,
            target_id=user.id,
            details={"email": user.email},
        )
    # Ended sessions of everyone, swept by every login of every process: rows nobody holds.
    await delete_ended_rows(Session, "expires_at", now)
    return LoginResult(
        token=token,
        expires_at=session.expires_at,
        user=user,
        restriction=state.restriction,
        mfa_methods=state.methods,
    )


async def open_session(
    user: User,
    *,
    ttl: timedelta,
    now: datetime,
    client_address: str | None,
    user_agent: str | None,
    restriction: SessionRestriction | None,
    mfa_verified_at: datetime | None = None,
) -> tuple[Session, str]:
    """A new session of `user` and its token, shown once (`login`, `acceptInvitation`),
    recording the client's address and user agent; call it inside the transaction that
    records the sign-in. Seen now, so that its first minute writes nothing. `restriction`
    is what it may do before it is trusted (`auth.mfa.sign_in_state`); `mfa_verified_at`,
    when a second factor was verified with the sign-in itself (a passkey)."""
    token = generate_session_token()
    session = await Session.create(
        user=user,
        token_hash=hash_secret(token),
        expires_at=now + ttl,
        last_seen_at=now,
        client_address=client_address,
        user_agent=clean_user_agent(user_agent),
        restriction=None if restriction is None else restriction.value,
        mfa_verified_at=mfa_verified_at,
    )
    return session, token


async def _account(email: str, normalised: str | None) -> User | None:
    user = None if normalised is None else await User.get_or_none(email=normalised)
    if user is not None:
        return user
    # Accounts stored before emails were NFKC-normalised keep the form they were given.
    stored_form = email.strip().lower()
    if stored_form == normalised or has_control_characters(stored_form):
        return None
    return await User.get_or_none(email=stored_form[:MAX_EMAIL_LENGTH])


def _failure_reason(email: str | None, user: User | None, password_ok: bool) -> str | None:
    if user is None:
        return "malformed_email" if email is None else "unknown_email"
    if not password_ok:
        return "wrong_password"
    if user.status != UserStatus.ACTIVE:
        return "inactive"
    return None


async def _check_password(actor: Actor, email: str, password: str) -> tuple[User, Verification]:
    """The user whose password this is, counting a failure (whatever its reason, so that
    the count tells nothing either) and auditing it otherwise."""
    normalised = _normalised_or_none(email)
    # Counted under the normalised address: its full-width or upper-case spellings are the
    # same account and share its failures.
    async with password_attempt(normalised or email, actor.client_address) as attempt:
        user = await _account(email, normalised)
        verification = await verify_password(user.password_hash if user else None, password)
        failure = _failure_reason(normalised, user, verification.ok)
        if failure is None and user is not None:
            await attempt.succeeded()
            return user, verification
        await attempt.failed()
    note_auth_failure("login")
    # Only a well-formed email is kept: a password typed into the email box is not.
    await audit(
        actor,
        AuditAction.SESSION_LOGIN,
        outcome=ErrorCode.UNAUTHENTICATED.value,
        target_type=AuditTarget.USER if user else None,
        target_id=user.id if user else None,
        details={"email": normalised, "reason": failure},
    )
    raise unauthenticated(LOGIN_FAILED)


async def _audit_refusal(actor: Actor | None, email: str) -> None:
    # As for a failure: only a well-formed email is kept (PostgreSQL refuses NUL in the
    # details, and a password typed into the email box stays out of the log).
    await audit(
        actor,
        AuditAction.SESSION_LOGIN,
        outcome=ErrorCode.RATE_LIMITED.value,
        details={"email": _normalised_or_none(email)},
    )


def _normalised_or_none(email: str) -> str | None:
    try:
        return normalise_email(email)
    except GatehouseError:  # a malformed email is just a failed login
        return None


async def logout(principal: Principal) -> bool:
    if principal.session is None:
        return False
    async with in_transaction():
        await Session.filter(id=principal.session.id).delete()
        await audit(
            principal,
            AuditAction.SESSION_LOGOUT,
            target_type=AuditTarget.USER,
            target_id=principal.person.id,
        )
    return True


async def change_password(principal: Principal, current_password: str, new_password: str) -> bool:
    """Replace one's own password. Every other session of the user ends, so a session that
    leaked ends with the change; the caller's own session goes on. A temporary password
    is replaced for good: PASSWORD_CHANGE_REQUIRED lifts."""
    session = principal.session
    if session is None:
        raise forbidden("changePassword is for a signed-in user, not an API key.")
    check_password(new_password, principal.person.email)
    await _verify_current_password(principal, current_password)
    new_hash = await hash_password(new_password)
    user = principal.person
    async with in_transaction():
        await User.filter(id=user.id).update(
            password_hash=new_hash, must_change_password=False, updated_at=utcnow()
        )
        await Session.filter(user_id=user.id).exclude(id=session.id).delete()
        user.must_change_password = False
        await refresh_restriction(session, user)
        await audit(
            principal,
            AuditAction.USER_CHANGE_PASSWORD,
            target_type=AuditTarget.USER,
            target_id=user.id,
        )
    return True


async def _verify_current_password(principal: Principal, current_password: str) -> None:
    """The one place changePassword checks a password: throttling of guesses (as for
    `login`) belongs here. A wrong password is FORBIDDEN, not UNAUTHENTICATED: the session
    is still valid, and clients treat UNAUTHENTICATED as "sign in again"."""
    user = await User.get_or_none(id=principal.person.id)
    if user is None:  # deleted since this request was authenticated
        raise unauthenticated()
    # Guesses at the current password are throttled with the sign-in's own counters.
    try:
        async with password_attempt(user.email, principal.client_address) as attempt:
            verification = await verify_password(user.password_hash, current_password)
            if verification.ok:
                await attempt.succeeded()
                return
            await attempt.failed()
    except ThrottledError:
        await audit(
            principal,
            AuditAction.USER_CHANGE_PASSWORD,
            outcome=ErrorCode.RATE_LIMITED.value,
            target_type=AuditTarget.USER,
            target_id=user.id,
        )
        raise
    await audit(
        principal,
        AuditAction.USER_CHANGE_PASSWORD,
        outcome=ErrorCode.FORBIDDEN.value,
        target_type=AuditTarget.USER,
        target_id=user.id,
    )
    raise forbidden(REFUSED_CHANGE)
