"""Verifying a second factor on a session, and a super-admin's reset of another user's
factors. (Enrolling TOTP and recovery codes: resolvers/totp.py.)

Wrong codes count as failed sign-ins for the account and the client address (the login
throttle's counters): five wrong codes lock the account's sign-in as five wrong passwords
would. A replayed code is a wrong code. No secret or code is ever written to the audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from auth import recovery_codes, totp
from auth.audit import AuditAction, AuditTarget, audited
from auth.mfa import (
    FACTORS,
    clear_second_factors,
    factor_verified,
    mfa_methods,
    mfa_methods_by_user,
)
from auth.passkeys import PasskeyRefused, verify_passkey_for
from auth.principal import Actor, Principal
from auth.runtime import password_attempt
from core.clock import utcnow
from core.enums import MfaMethod, SessionRestriction
from core.errors import ErrorCode, GatehouseError, forbidden, not_found
from models import RecoveryCode, Session, TotpFactor, User

INVALID_MFA_CODE = "INVALID_MFA_CODE"
NO_SECOND_FACTOR = "NO_SECOND_FACTOR"
MFA_METHOD_NOT_ENROLLED = "MFA_METHOD_NOT_ENROLLED"
WRONG_CODE = "The code is wrong, expired or already used."


@dataclass(frozen=True)
class VerifiedSession:
    token: str = field(repr=False)
    expires_at: datetime
    user: User
    restriction: SessionRestriction | None
    mfa_methods: list[MfaMethod]


async def methods_by_user_ids(user_ids: list[int]) -> list[list[MfaMethod]]:
    """In the order of `user_ids`: a DataLoader's batch for `User.mfaMethods`."""
    found = await mfa_methods_by_user(user_ids)
    return [found[user_id] for user_id in user_ids]


def session_of(principal: Principal) -> Session:
    if principal.session is None:
        raise forbidden("Second factors are for signed-in users, not API keys.")
    return principal.session


async def totp_row(user_id: int) -> TotpFactor | None:
    return await TotpFactor.get_or_none(user_id=user_id)


async def throttled(principal: Principal, check: Callable[[], Awaitable[bool]]) -> None:
    """Run one code check as a sign-in attempt: refused while the account or address is
    locked, a wrong code counted as a failure. Raises INVALID_MFA_CODE for a wrong one."""
    async with password_attempt(principal.person.email, principal.client_address) as attempt:
        if await check():
            await attempt.succeeded()
            return
        await attempt.failed()
    raise GatehouseError(ErrorCode.FORBIDDEN, WRONG_CODE, reason=INVALID_MFA_CODE)


async def verify_mfa(
    principal: Principal,
    token: str,
    *,
    totp_code: str | None = None,
    recovery_code: str | None = None,
    passkey: Any = None,
) -> VerifiedSession:
    """Verify one second factor on this session: lifts MFA_REQUIRED and starts the step-up
    window. The session keeps its token (`token`, as presented), now trusted."""
    session = session_of(principal)
    given = [value for value in (totp_code, recovery_code, passkey) if value is not None]
    if len(given) != 1:
        raise GatehouseError(
            ErrorCode.BAD_USER_INPUT, "Give exactly one of totpCode, recoveryCode and passkey."
        )
    user = principal.person
    async with audited(
        principal, AuditAction.MFA_VERIFY, target_type=AuditTarget.USER, target_id=user.id
    ) as event:
        methods = await mfa_methods(user)
        if not FACTORS.intersection(methods):
            raise GatehouseError(
                ErrorCode.BAD_USER_INPUT, "This user has no second factor.", reason=NO_SECOND_FACTOR
            )
        now = utcnow()
        if passkey is not None:
            method = MfaMethod.PASSKEY
            await verify_passkey_factor(principal, passkey)
        elif totp_code is not None:
            method = MfaMethod.TOTP
            _require_method(methods, method)
            await throttled(principal, lambda: _accept_totp_code(user.id, totp_code, now))
        else:
            method = MfaMethod.RECOVERY_CODE
            _require_method(methods, method)
            code = recovery_code or ""
            await throttled(principal, lambda: _spend_recovery_code(user.id, code, now))
        event.details = {"method": method.value}
        async with in_transaction():
            restriction = await factor_verified(session.id, now)
            await event.record()
    session.mfa_verified_at = now
    return VerifiedSession(
        token=token,
        expires_at=session.expires_at,
        user=user,
        restriction=restriction,
        mfa_methods=await mfa_methods(user),
    )


def _require_method(methods: list[MfaMethod], method: MfaMethod) -> None:
    if method not in methods:
        raise GatehouseError(
            ErrorCode.BAD_USER_INPUT,
            f"This user has no {method.value} to verify.",
            reason=MFA_METHOD_NOT_ENROLLED,
        )


async def _accept_totp_code(user_id: int, code: str, now: datetime) -> bool:
    row = await totp_row(user_id)
    if row is None or row.secret is None:
        return False
    step = totp.matching_step(row.secret, code, now)
    if step is None:
        return False
    # Accepted only for a step later than the last one accepted, by one statement: the same
    # code sent twice, to one process or to several, is accepted once.
    accepted = await TotpFactor.filter(id=row.id, secret__isnull=False, last_step__lt=step).update(
        last_step=step
    )
    return bool(accepted)


async def _spend_recovery_code(user_id: int, code: str, now: datetime) -> bool:
    spent = await RecoveryCode.filter(
        user_id=user_id, code_hash=recovery_codes.code_hash(code), used_at__isnull=True
    ).update(used_at=now)
    return bool(spent)


async def verify_passkey_factor(principal: Principal, credential: Any) -> None:
    """The passkey branch of verifyMfa: an assertion by one of the session user's passkeys
    (auth.passkeys). Refused FORBIDDEN, as a wrong code is (the session itself is fine),
    with `reason: "PASSKEY_REFUSED"`; the audit event keeps why."""
    async with audited(
        principal,
        AuditAction.MFA_VERIFY,
        target_type=AuditTarget.USER,
        target_id=principal.person.id,
    ) as event:
        try:
            await verify_passkey_for(
                principal.person, credential, client_address=principal.client_address
            )
        except PasskeyRefused as refusal:
            event.details = {"method": MfaMethod.PASSKEY.value, "why": refusal.why}
            raise PasskeyRefused(refusal.why, code=ErrorCode.FORBIDDEN) from None


async def reset_mfa(actor: Principal, user_id: int) -> bool:
    """A super-admin removes another user's factors and recovery codes, and ends the
    user's sessions: for someone who lost their phone."""
    async with audited(
        actor, AuditAction.MFA_RESET, target_type=AuditTarget.USER, target_id=user_id
    ):
        target = await User.get_or_none(id=user_id)
        if target is None:
            raise not_found("User")
        if target.id == actor.user_id:
            raise forbidden("resetMfa is for other users; ask another super-admin.")
    await reset_factors_of(actor, target)
    return True


async def reset_factors_of(actor: Actor | None, target: User) -> int:
    """Every factor of `target` removed and every session ended; answers how many sessions
    ended. `actor=None` is the CLI (`gatehouse reset-mfa`)."""
    async with (
        audited(
            actor, AuditAction.MFA_RESET, target_type=AuditTarget.USER, target_id=target.id
        ) as event,
        in_transaction(),
    ):
        await clear_second_factors(target.id)
        ended = await Session.filter(user_id=target.id).delete()
        event.details = {"sessionsEnded": ended}
        await event.record()
    return int(ended)
