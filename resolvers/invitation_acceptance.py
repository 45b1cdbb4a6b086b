"""Accepting an invitation: anonymous, the token is the credential. The person chooses
their password, the user is created with the invited roles and signed in."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audit
from auth.mfa import sign_in_state
from auth.password_policy import check_password
from auth.principal import Actor, Principal
from auth.runtime import hash_password, token_attempt
from auth.throttle import ThrottledError
from auth.tokens import hash_secret, is_well_formed_invitation_token
from core.clock import utcnow
from core.enums import InvitationStatus
from core.errors import ErrorCode, GatehouseError
from core.observability import note_auth_failure
from models import Invitation, User
from models.webhooks import drop_undelivered
from resolvers.invitations import (
    EMAIL_TAKEN,
    USER_INVITED,
    conflict,
    ordering_key,
    role_names,
)
from resolvers.sessions import LoginResult, open_session
from resolvers.users import valid_display_name

INVITATION_INVALID = "INVITATION_INVALID"
# One answer for a token that is malformed, unknown, expired, revoked or used: which of
# these it is would tell a guesser something, and the invited person can do nothing
# different but ask for a new invitation.
INVALID_MESSAGE = "This invitation is not valid; ask for a new one."


def invalid_token() -> GatehouseError:
    return GatehouseError(ErrorCode.UNAUTHENTICATED, INVALID_MESSAGE, reason=INVITATION_INVALID)


async def accept_invitation(
    actor: Actor,
    token: str,
    password: str,
    display_name: str | None,
    *,
    session_ttl: timedelta,
    user_agent: str | None = None,
) -> LoginResult:
    """Create the invited user with the invited roles and sign them in. Anonymous: the
    token is the credential. Every invalid token gets the one refusal and counts as a
    failed sign-in of the client's address (`auth.throttle`); two acceptances at once
    create one user (the conditional update on `accepted_at IS NULL`)."""
    # Checked before the token, so that these refusals tell nothing about it; the rule that
    # needs the email (not its local part) once the token has named the invitation.
    if display_name is not None:
        display_name = valid_display_name(display_name)
    check_password(password, None)
    invitation = await _invitation_for(actor, token)
    check_password(password, invitation.email)
    password_hash = await hash_password(password)
    now = utcnow()
    try:
        async with in_transaction():
            claimed = await Invitation.filter(
                id=invitation.id,
                token_hash=invitation.token_hash,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).update(accepted_at=now, pending_email=None)
            if not claimed:
                raise invalid_token()
            user = await User.create(
                email=invitation.email,
                display_name=display_name or invitation.display_name,
                roles_encoded=invitation.roles_encoded,
                password_hash=password_hash,
                last_login_at=now,
            )
            await Invitation.filter(id=invitation.id).update(accepted_user_id=user.id)
            # No factor yet: a role in MFA_REQUIRED_ROLES starts MFA_ENROLLMENT_REQUIRED.
            state = await sign_in_state(user, factor_verified=False)
            session, session_token = await open_session(
                user,
                ttl=session_ttl,
                now=now,
                client_address=actor.client_address,
                user_agent=user_agent,
                restriction=state.restriction,
            )
            await drop_undelivered(USER_INVITED, ordering_key(invitation.id), now)
            await audit(
                Principal(user=user, session=session, client_address=actor.client_address),
                AuditAction.INVITATION_ACCEPT,
                target_type=AuditTarget.INVITATION,
                target_id=invitation.id,
                details={"email": user.email, "userId": user.id, "roles": role_names(user.roles)},
            )
    except IntegrityError:  # the address became a user's since the invitation
        await _audit_refusal(actor, invitation, ErrorCode.CONFLICT, "email_taken")
        raise conflict(EMAIL_TAKEN) from None
    except GatehouseError as refusal:  # accepted by a concurrent request a moment earlier
        await _audit_refusal(actor, invitation, refusal.code, "accepted")
        raise
    return LoginResult(
        token=session_token,
        expires_at=session.expires_at,
        user=user,
        restriction=state.restriction,
        mfa_methods=state.methods,
    )


async def _invitation_for(actor: Actor, token: str) -> Invitation:
    """The pending invitation of `token`, or the one refusal, counted and audited."""
    try:
        async with token_attempt(actor.client_address) as attempt:
            found = None
            if is_well_formed_invitation_token(token):
                found = await Invitation.get_or_none(token_hash=hash_secret(token))
            reason = _failure_reason(found, utcnow())
            if reason is None and found is not None:
                await attempt.succeeded()
                return found
            await attempt.failed()
    except ThrottledError as refusal:
        await audit(
            actor,
            AuditAction.INVITATION_ACCEPT,
            outcome=refusal.code.value,
            details={"reason": "throttled"},
        )
        raise
    note_auth_failure("invitation")
    await _audit_refusal(actor, found, ErrorCode.UNAUTHENTICATED, reason)
    raise invalid_token()


def _failure_reason(invitation: Invitation | None, now: datetime) -> str | None:
    if invitation is None:
        return "unknown_token"
    status = invitation.status_at(now)
    return None if status == InvitationStatus.PENDING else status.value.lower()


async def _audit_refusal(
    actor: Actor, invitation: Invitation | None, code: ErrorCode, reason: str | None
) -> None:
    # Only super-admins read why; the token itself is never kept.
    await audit(
        actor,
        AuditAction.INVITATION_ACCEPT,
        outcome=code.value,
        target_type=AuditTarget.INVITATION if invitation else None,
        target_id=invitation.id if invitation else None,
        details={"email": invitation.email if invitation else None, "reason": reason},
    )
