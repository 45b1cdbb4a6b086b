"""Second factors: TOTP enrolment, recovery codes, `verifyMfa` and `resetMfa`."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from auth.audit import AuditAction, AuditTarget
from auth.credentials import credential_from_headers
from core.enums import Scope
from core.errors import unauthenticated
from resolvers import mfa, totp
from schema.changes import Target, mutation
from schema.context import Context
from schema.ids import USER, UserId, require_pk
from schema.permissions import SUPER_ADMIN, allow, people_only
from schema.sessions import LoginPayload
from schema.users import UserType

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="A TOTP secret waiting for its first code (confirmTotpEnrollment). Shown "
    "only in this answer; beginTotpEnrollment again makes a new one."
)
class TotpEnrollment:
    secret: str = strawberry.field(
        description="The shared secret in base32, for typing into an authenticator app."
    )
    otpauth_uri: str = strawberry.field(
        description="`otpauth://totp/…` with the issuer and account, for apps and QR codes."
    )
    qr_svg: str = strawberry.field(description="The URI as a QR code, an SVG document.")


@strawberry.type
class MfaMutation:
    @mutation(
        action=AuditAction.MFA_VERIFY,
        target=Target(AuditTarget.USER),
        allow=people_only(),
        description="Verifies a second factor on this session: exactly one of the arguments "
        "(BAD_USER_INPUT otherwise). Lifts MFA_REQUIRED and starts the step-up window "
        "(STEP_UP_SECONDS). The answer carries the same token, now trusted, and the "
        "restriction still left (a temporary password), if any. A wrong, expired or "
        "replayed code is FORBIDDEN with reason INVALID_MFA_CODE and counts as a failed "
        "sign-in (RATE_LIMITED past the limit).",
    )
    async def verify_mfa(
        self,
        info: Info,
        totp_code: Annotated[
            str | None, strawberry.argument(description="The authenticator app's code.")
        ] = None,
        recovery_code: Annotated[
            str | None, strawberry.argument(description="An unused recovery code.")
        ] = None,
        passkey: Annotated[
            JSON | None,
            strawberry.argument(description="A WebAuthn assertion (PublicKeyCredential JSON)."),
        ] = None,
    ) -> LoginPayload:
        token = credential_from_headers(info.context.request.headers)
        if not token:
            raise unauthenticated()
        verified = await mfa.verify_mfa(
            info.context.principal,
            token,
            totp_code=totp_code,
            recovery_code=recovery_code,
            passkey=passkey,
        )
        return LoginPayload(
            token=verified.token,
            expires_at=verified.expires_at,
            user=UserType.from_model(verified.user),
            restriction=verified.restriction,
            mfa_methods=verified.mfa_methods,
        )

    @mutation(
        action=AuditAction.MFA_TOTP_ENROLLMENT_BEGIN,
        target=Target(AuditTarget.USER),
        allow=people_only(),
        description="Starts enrolling an authenticator app: a new secret each call. CONFLICT "
        "(TOTP_ALREADY_ENABLED) while TOTP is on; disableTotp first.",
    )
    async def begin_totp_enrollment(self, info: Info) -> TotpEnrollment:
        enrollment = await totp.begin_totp_enrollment(info.context.principal)
        return TotpEnrollment(
            secret=enrollment.secret,
            otpauth_uri=enrollment.otpauth_uri,
            qr_svg=enrollment.qr_svg,
        )

    @mutation(
        action=AuditAction.MFA_TOTP_ENABLE,
        target=Target(AuditTarget.USER),
        allow=people_only(),
        description="Turns on TOTP with a code from the secret of beginTotpEnrollment and "
        "answers 10 one-use recovery codes, shown only here. Counts as verifying the factor "
        "on this session (lifts MFA_ENROLLMENT_REQUIRED).",
    )
    async def confirm_totp_enrollment(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The app's current 6 digits.")],
    ) -> list[str]:
        return await totp.confirm_totp_enrollment(info.context.principal, code)

    @mutation(
        action=AuditAction.MFA_RECOVERY_CODES_REGENERATE,
        target=Target(AuditTarget.USER),
        allow=people_only(),
        step_up=True,
        description="10 new recovery codes, shown only here; every earlier one stops working.",
    )
    async def regenerate_recovery_codes(self, info: Info) -> list[str]:
        return await totp.regenerate_recovery_codes(info.context.principal)

    @mutation(
        action=AuditAction.MFA_TOTP_DISABLE,
        target=Target(AuditTarget.USER),
        allow=people_only(),
        step_up=True,
        description="Turns TOTP off (false when it was off); the recovery codes go too when "
        "no other factor is left.",
    )
    async def disable_totp(self, info: Info) -> bool:
        return await totp.disable_totp(info.context.principal)

    @mutation(
        action=AuditAction.MFA_RESET,
        target=Target(AuditTarget.USER, argument="user_id"),
        allow=allow(SUPER_ADMIN, scope=Scope.ADMIN),
        step_up=True,
        description="Removes every second factor and recovery code of another user and ends "
        "their sessions, for someone who lost their authenticator. Not on oneself.",
    )
    async def reset_mfa(self, info: Info, user_id: UserId) -> bool:
        return await mfa.reset_mfa(info.context.principal, require_pk(user_id, USER))
