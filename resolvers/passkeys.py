"""Passkeys: registering and removing one's own, and signing in with one, passwordless.

A passwordless sign-in needs user verification (a PIN or biometric on the authenticator,
besides holding it), so it counts as two factors: the session it opens is full, with its
second factor verified now. An assertion without user verification is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audit
from auth.mfa import FACTORS, factor_verified, mfa_methods, sign_in_state
from auth.passkey_challenges import admit_anonymous_challenge
from auth.passkey_options import authentication_options, registration_options
from auth.passkeys import PasskeyRefused, require_enabled, verify_assertion, verify_registration
from auth.principal import Actor, Principal
from auth.throttle import ThrottledError
from core.clock import utcnow
from core.config import WebAuthnSettings
from core.errors import ErrorCode, GatehouseError, bad_input, forbidden, not_found
from models import Passkey, RecoveryCode, Session, User
from models.conflicts import delete_ended_rows
from resolvers.sessions import LoginResult, open_session
from resolvers.users import normalise_email

MAX_NAME_LENGTH = 100
ONLY_YOUR_OWN = "Passkeys are seen and changed only by their owner."


def _session_user(principal: Principal) -> User:
    if principal.session is None:
        raise forbidden("Passkeys are for a signed-in user, not an API key.")
    return principal.person


async def list_passkeys(principal: Principal, user_id: int) -> list[Passkey]:
    if principal.user_id != user_id:
        raise forbidden(ONLY_YOUR_OWN)
    return list(await Passkey.filter(user_id=user_id).order_by("created_at", "id"))


async def get_own_passkey(principal: Principal, passkey_id: int) -> Passkey | None:
    """`node` for a Passkey id: null for another user's, as for one that does not exist."""
    if principal.user_id is None:  # a service account's key has no passkeys
        return None
    return await Passkey.get_or_none(id=passkey_id, user_id=principal.user_id)


async def begin_registration(principal: Principal, webauthn: WebAuthnSettings) -> dict[str, Any]:
    require_enabled(webauthn)
    user = _session_user(principal)
    options = await registration_options(webauthn, user)
    await audit(
        principal,
        AuditAction.PASSKEY_BEGIN_REGISTRATION,
        target_type=AuditTarget.USER,
        target_id=user.id,
    )
    return options


async def finish_registration(
    principal: Principal, webauthn: WebAuthnSettings, name: str, credential: object
) -> Passkey:
    require_enabled(webauthn)
    user = _session_user(principal)
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise bad_input(f"`name` must be 1 to {MAX_NAME_LENGTH} characters.")
    try:
        new = await verify_registration(webauthn, user, credential)
        async with in_transaction():
            passkey = await Passkey.create(
                user_id=user.id,
                credential_id=new.credential_id,
                public_key=new.public_key,
                sign_count=new.sign_count,
                user_handle=new.user_handle,
                transports=new.transports,
                name=name,
            )
            # Proving the new factor verifies it on this session, as a TOTP confirmation
            # does: MFA_ENROLLMENT_REQUIRED lifts, step-up counts from now.
            if principal.session is not None:
                await factor_verified(principal.session.id, utcnow())
            await audit(
                principal,
                AuditAction.PASSKEY_REGISTER,
                target_type=AuditTarget.PASSKEY,
                target_id=passkey.id,
                details={"name": name, "userId": user.id},
            )
    except PasskeyRefused as refusal:
        await _audit_refusal(principal, AuditAction.PASSKEY_REGISTER, refusal, refusal.why)
        raise
    except IntegrityError:
        # The credential is registered already (to this user or, stranger, another).
        conflict = GatehouseError(
            ErrorCode.CONFLICT, "This passkey is registered already.", reason="PASSKEY_EXISTS"
        )
        await _audit_refusal(principal, AuditAction.PASSKEY_REGISTER, conflict, "duplicate")
        raise conflict from None
    return passkey


async def remove_passkey(principal: Principal, passkey_id: int | None) -> bool:
    user = _session_user(principal)
    async with in_transaction():
        passkey = (
            None
            if passkey_id is None
            else await Passkey.get_or_none(id=passkey_id, user_id=user.id)
        )
        if passkey is not None:
            await Passkey.filter(id=passkey.id).delete()
            # Recovery codes stand in for a factor: with none left, they go too.
            if not FACTORS.intersection(await mfa_methods(user)):
                await RecoveryCode.filter(user_id=user.id).delete()
            await audit(
                principal,
                AuditAction.PASSKEY_REMOVE,
                target_type=AuditTarget.PASSKEY,
                target_id=passkey.id,
                details={"name": passkey.name, "userId": user.id},
            )
            return True
    # Another user's passkey is as absent as one that never was.
    refusal = not_found("Passkey")
    await _audit_refusal(principal, AuditAction.PASSKEY_REMOVE, refusal, None, passkey_id)
    raise refusal


async def begin_login(
    actor: Actor, webauthn: WebAuthnSettings, email: str | None
) -> dict[str, Any]:
    """Options for `passkeyLogin` (anonymous) or, with a session, for `verifyMfa`'s passkey."""
    require_enabled(webauthn)
    if isinstance(actor, Principal) and actor.session is not None:
        return await authentication_options(webauthn, user=actor.user, email_user=None, email=None)
    await admit_anonymous_challenge(actor.client_address)
    email = email.strip() if email is not None and email.strip() else None
    email_user = None if email is None else await _user_by_email(email)
    return await authentication_options(webauthn, user=None, email_user=email_user, email=email)


async def _user_by_email(email: str) -> User | None:
    try:
        normalised = normalise_email(email)
    except GatehouseError:  # a malformed email names nobody, and is answered alike
        return None
    return await User.get_or_none(email=normalised)


async def passkey_login(
    actor: Actor,
    webauthn: WebAuthnSettings,
    credential: object,
    *,
    ttl: timedelta,
    user_agent: str | None = None,
) -> LoginResult:
    """A passwordless sign-in: refused alike (UNAUTHENTICATED, PASSKEY_REFUSED) whatever is
    wrong, counted with the sign-in's failures, audited with why."""
    require_enabled(webauthn)
    try:
        passkey = await verify_assertion(
            webauthn, credential, user=None, client_address=actor.client_address
        )
    except PasskeyRefused as refusal:
        await _audit_refusal(actor, AuditAction.SESSION_PASSKEY_LOGIN, refusal, refusal.why)
        raise
    except ThrottledError as refusal:
        await _audit_refusal(actor, AuditAction.SESSION_PASSKEY_LOGIN, refusal, None)
        raise
    user = passkey.user
    # User verification was two factors at once: no MFA_REQUIRED; a temporary password
    # still has to be changed.
    state = await sign_in_state(user, factor_verified=True)
    now = utcnow()
    async with in_transaction():
        session, token = await open_session(
            user,
            ttl=ttl,
            now=now,
            client_address=actor.client_address,
            user_agent=user_agent,
            restriction=state.restriction,
            mfa_verified_at=now,
        )
        user.last_login_at = now
        await user.save(update_fields=["last_login_at"])
        await audit(
            Principal(user=user, session=session, client_address=actor.client_address),
            AuditAction.SESSION_PASSKEY_LOGIN,
            target_type=AuditTarget.USER,
            target_id=user.id,
            details={"email": user.email, "passkeyId": passkey.id},
        )
    await delete_ended_rows(Session, "expires_at", now)
    return LoginResult(
        token=token,
        expires_at=session.expires_at,
        user=user,
        restriction=state.restriction,
        mfa_methods=state.methods,
    )


async def _audit_refusal(
    actor: Actor,
    action: AuditAction,
    refusal: GatehouseError,
    why: str | None,
    target_id: int | None = None,
) -> None:
    # As a failed `login` keeps it: why, for super-admins; never the challenge or credential.
    reason = why or refusal.reason
    details = None if reason is None else {"reason": reason}
    await audit(
        actor,
        action,
        outcome=refusal.code.value,
        target_type=AuditTarget.PASSKEY if target_id is not None else None,
        target_id=target_id,
        details=details,
    )
