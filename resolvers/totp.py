"""Enrolling an authenticator app (TOTP) and the recovery codes that stand in for it."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from auth import recovery_codes, totp
from auth.audit import AuditAction, AuditTarget, audited
from auth.mfa import FACTORS, factor_verified, mfa_methods, mfa_settings, refresh_restriction
from auth.principal import Principal
from core.clock import utcnow
from core.errors import ErrorCode, GatehouseError
from models import RecoveryCode, TotpFactor
from resolvers.mfa import NO_SECOND_FACTOR, session_of, throttled, totp_row

NO_TOTP_ENROLLMENT = "NO_TOTP_ENROLLMENT"
TOTP_ALREADY_ENABLED = "TOTP_ALREADY_ENABLED"


@dataclass(frozen=True)
class TotpEnrollment:
    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    qr_svg: str = field(repr=False)


async def begin_totp_enrollment(principal: Principal) -> TotpEnrollment:
    """A new secret every time (the previous pending one stops counting); it becomes the
    user's factor once a code from it is confirmed."""
    session_of(principal)
    user = principal.person
    async with audited(
        principal,
        AuditAction.MFA_TOTP_ENROLLMENT_BEGIN,
        target_type=AuditTarget.USER,
        target_id=user.id,
    ) as event:
        row = await totp_row(user.id)
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
    session = session_of(principal)
    user = principal.person
    async with audited(
        principal, AuditAction.MFA_TOTP_ENABLE, target_type=AuditTarget.USER, target_id=user.id
    ) as event:
        row = await totp_row(user.id)
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

        await throttled(principal, confirmed)
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
    session_of(principal)
    user = principal.person
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
    session = session_of(principal)
    user = principal.person
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
