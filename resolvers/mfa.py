"""Second factors of one's own account (TOTP, recovery codes), verifying one on a session,
and a super-admin's reset of another user's factors.

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
    mfa_settings,
    refresh_restriction,
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
NO_TOTP_ENROLLMENT = "NO_TOTP_ENROLLMENT"
TOTP_ALREADY_ENABLED = "TOTP_ALREADY_ENABLED"
WRONG_CODE = "The code is wrong, expired or already used."


@dataclass(frozen=True)
class TotpEnrollment:
    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    qr_svg: str = field(repr=False)


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


def _session(principal: Principal) -> Session:
    if principal.session is None:
        raise forbidden("Second factors are for signed-in users, not API keys.")
    return principal.session


async def _totp_row(user_id: int) -> TotpFactor | None:
    return await TotpFactor.get_or_none(user_id=user_id)


async def _throttled(principal: Principal, check: Callable[[], Awaitable[bool]]) -> None:
    """Run one code check as a sign-in attempt: refused while the account or address is
    locked, a wrong code counted as a failure. Raises INVALID_MFA_CODE for a wrong one."""
    async with password_attempt(principal.user.email, principal.client_address) as attempt:
        if await check():
            await attempt.succeeded()
            return
        await attempt.failed()
    raise GatehouseError(ErrorCode.FORBIDDEN, WRONG_CODE, reason=INVALID_MFA_CODE)


async def begin_totp_enrollment(principal: Principal) -> TotpEnrollment:
    """A new secret every time (the previous pending one stops counting); it becomes the
    user's factor once a code from it is confirmed."""
    _session(principal)
    user = principal.user
    async with audited(
        principal,
        AuditAction.MFA_TOTP_ENROLLMENT_BEGIN,
        target_type=AuditTarget.USER,
        target_id=user.id,
    ) as event:
        row = await _totp_row(user.id)
        if row is not None and row.secret is not None:
            raise GatehouseError(
                ErrorCode.CONFLICT,
                "TOTP is already enabled; disable it first (disableTotp) to enrol again.",
                reason=TOTP_ALREADY_ENABLED,
            )
        secret = totp.new_secret()
        async with in_transaction():
            if row is None:
                await TotpFactor.create(user_id=user.id, pending_secret=secret)
            else:
                await TotpFactor.filter(id=row.id).update(pending_secret=secret)
            await event.record()
    uri = totp.provisioning_uri(secret, user.email, mfa_settings().issuer)
    return TotpEnrollment(secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))


async def confirm_totp_enrollment(principal: Principal, code: str) -> list[str]:
    """Turns the pending secret into the user's factor, counts as verifying it on this
    session (lifting MFA_ENROLLMENT_REQUIRED) and answers ten new recovery codes, once."""
    session = _session(principal)
    user = principal.user
    async with audited(
        principal, AuditAction.MFA_TOTP_ENABLE, target_type=AuditTarget.USER, target_id=user.id
    ) as event:
        row = await _totp_row(user.id)
        if row is None or row.pending_secret is None:
            raise GatehouseError(
                ErrorCode.BAD_USER_INPUT,
                "No TOTP enrolment to confirm: call beginTotpEnrollment first.",
                reason=NO_TOTP_ENROLLMENT,
            )
        pending = row.pending_secret
        now = utcnow()
        step = totp.matching_step(pending, code, now)

        async def confirmed() -> bool:
            if step is None:
                return False
            # Conditional: of two confirmations at once, one wins.
            return bool(
                await TotpFactor.filter(id=row.id, pending_secret=pending).update(
                    secret=pending, pending_secret=None, last_step=step, confirmed_at=now
                )
            )

        await _throttled(principal, confirmed)
        async with in_transaction():
            codes = await _replace_recovery_codes(user.id)
            await factor_verified(session.id, now)
            event.details = {"recoveryCodes": len(codes)}
            await event.record()
    session.mfa_verified_at = now
    return codes


async def _replace_recovery_codes(user_id: int) -> list[str]:
    codes = recovery_codes.new_codes()
    await RecoveryCode.filter(user_id=user_id).delete()
    await RecoveryCode.bulk_create(
        [RecoveryCode(user_id=user_id, code_hash=recovery_codes.code_hash(c)) for c in codes]
    )
    return codes


async def regenerate_recovery_codes(principal: Principal) -> list[str]:
    """Ten new codes; every earlier one stops working. Needs a factor (and step-up)."""
    _session(principal)
    user = principal.user
    async with audited(
        principal,
        AuditAction.MFA_RECOVERY_CODES_REGENERATE,
        target_type=AuditTarget.USER,
        target_id=user.id,
    ) as event:
        if not FACTORS.intersection(await mfa_methods(user)):
            raise GatehouseError(
                ErrorCode.BAD_USER_INPUT,
                "Recovery codes stand in for a second factor: enrol one first.",
                reason=NO_SECOND_FACTOR,
            )
        async with in_transaction():
            codes = await _replace_recovery_codes(user.id)
            event.details = {"recoveryCodes": len(codes)}
            await event.record()
    return codes


async def disable_totp(principal: Principal) -> bool:
    """False when TOTP was not enabled. The recovery codes go too when no other factor is
    left; a role that requires a factor then restricts the user's sessions to enrolment."""
    session = _session(principal)
    user = principal.user
    async with (
        audited(
            principal, AuditAction.MFA_TOTP_DISABLE, target_type=AuditTarget.USER, target_id=user.id
        ) as event,
        in_transaction(),
    ):
        removed = await TotpFactor.filter(user_id=user.id).delete()
        if not removed:
            event.nothing_changed()
            return False
        if not FACTORS.intersection(await mfa_methods(user)):
            await RecoveryCode.filter(user_id=user.id).delete()
        await refresh_restriction(session, user)
        await event.record()
    return True


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
    session = _session(principal)
    given = [value for value in (totp_code, recovery_code, passkey) if value is not None]
    if len(given) != 1:
        raise GatehouseError(
            ErrorCode.BAD_USER_INPUT, "Give exactly one of totpCode, recoveryCode and passkey."
        )
    user = principal.user
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
            await _throttled(principal, lambda: _accept_totp_code(user.id, totp_code, now))
        else:
            method = MfaMethod.RECOVERY_CODE
            _require_method(methods, method)
            code = recovery_code or ""
            await _throttled(principal, lambda: _spend_recovery_code(user.id, code, now))
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
    row = await _totp_row(user_id)
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
        principal, AuditAction.MFA_VERIFY, target_type=AuditTarget.USER, target_id=principal.user.id
    ) as event:
        try:
            await verify_passkey_for(
                principal.user, credential, client_address=principal.client_address
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
        if target.id == actor.user.id:
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
