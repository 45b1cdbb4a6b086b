"""Invitations instead of passwords chosen by an admin: a super-admin names the email, the
display name and the roles; the person chooses their own password by accepting with the
token, which goes out once in the `inviteUser` (or `resendInvitation`) answer and in the
`user.invited` webhook event, for the portal's mailer, and is stored only as a hash."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audited
from auth.principal import Principal
from auth.tokens import generate_invitation_token, hash_secret
from core.clock import utcnow
from core.config import InvitationSettings
from core.enums import InvitationStatus, Role
from core.errors import ErrorCode, GatehouseError, not_found
from models import Invitation, User
from models.webhooks import drop_undelivered, global_id
from resolvers.listing import Condition, Listing, db_value
from resolvers.pagination import Page, PageRequest, paginate
from resolvers.users import (
    encoded_roles,
    ensure_may_grant,
    normalise_email,
    valid_display_name,
)

USER_INVITED = "user.invited"
EMAIL_TAKEN = "A user with this email already exists."


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str = field(repr=False)


def ordering_key(invitation_id: int) -> str:
    return f"Invitation:{invitation_id}"


def role_names(roles: list[Role]) -> list[str]:
    return [role.value for role in roles]


def event_data(invitation: Invitation, token: str, url: str | None) -> dict[str, Any]:
    """The `user.invited` event's data: what the mailer needs, the token included (the only
    place besides the mutation's answer where it ever appears; blanked once delivered)."""
    return {
        "id": global_id("Invitation", invitation.id),
        "email": invitation.email,
        "displayName": invitation.display_name,
        "roles": role_names(invitation.roles),
        "invitedBy": (
            global_id("User", invitation.invited_by_id) if invitation.invited_by_id else None
        ),
        "expiresAt": invitation.expires_at.isoformat(),
        "url": url,
        "token": token,
    }


def conflict(message: str, reason: str | None = None) -> GatehouseError:
    return GatehouseError(ErrorCode.CONFLICT, message, reason=reason)


# Ids arrive as primary keys: the schema layer decodes the API's global ids (schema.ids).


async def get_invitation(invitation_id: int) -> Invitation | None:
    return await Invitation.get_or_none(id=invitation_id)


async def invitations_by_ids(ids: list[int]) -> list[Invitation | None]:
    """In the order of `ids`, None where no invitation has that id: a DataLoader's batch."""
    found = {invitation.id: invitation for invitation in await Invitation.filter(id__in=ids)}
    return [found.get(invitation_id) for invitation_id in ids]


async def _require_invitation(invitation_id: int) -> Invitation:
    invitation = await get_invitation(invitation_id)
    if invitation is None:
        raise not_found("Invitation")
    return invitation


def _status_condition(status: InvitationStatus, now: datetime) -> Condition:
    at = db_value(Invitation, "expires_at", now)
    live = 'm."accepted_at" IS NULL AND m."revoked_at" IS NULL'
    return {
        InvitationStatus.ACCEPTED: Condition('m."accepted_at" IS NOT NULL'),
        InvitationStatus.REVOKED: Condition(
            'm."accepted_at" IS NULL AND m."revoked_at" IS NOT NULL'
        ),
        InvitationStatus.EXPIRED: Condition(f'{live} AND m."expires_at" <= ?', (at,)),
        InvitationStatus.PENDING: Condition(f'{live} AND m."expires_at" > ?', (at,)),
    }[status]


async def list_invitations(
    page: PageRequest, *, status: InvitationStatus | None = None, with_total: bool = False
) -> Page[Invitation]:
    conditions = () if status is None else (_status_condition(status, utcnow()),)
    return await paginate(
        Listing(Invitation, conditions),
        page,
        kind="Invitation",
        newest_first=True,
        with_total=with_total,
    )


async def invite_user(
    actor: Principal,
    *,
    email: str,
    display_name: str,
    roles: list[Role],
    settings: InvitationSettings,
) -> IssuedInvitation:
    async with audited(
        actor, AuditAction.INVITATION_CREATE, target_type=AuditTarget.INVITATION
    ) as event:
        email = normalise_email(email)
        display_name = valid_display_name(display_name)
        roles_encoded = encoded_roles(roles)
        event.details = {"email": email, "displayName": display_name, "roles": role_names(roles)}
        ensure_may_grant(actor, roles)
        now = utcnow()
        token = generate_invitation_token()
        try:
            async with in_transaction():
                if await User.exists(email=email):
                    raise conflict(EMAIL_TAKEN)
                # An expired invitation no longer holds its address.
                await Invitation.filter(pending_email=email, expires_at__lte=now).update(
                    pending_email=None
                )
                if await Invitation.exists(pending_email=email):
                    raise _pendingconflict()
                invitation = await Invitation.create(
                    email=email,
                    pending_email=email,
                    display_name=display_name,
                    roles_encoded=roles_encoded,
                    invited_by_id=actor.user_id,
                    token_hash=hash_secret(token),
                    expires_at=now + timedelta(hours=settings.ttl_hours),
                )
                event.target_id = invitation.id
                event.details["expiresAt"] = invitation.expires_at.isoformat()
                await event.emit_data(
                    USER_INVITED,
                    event_data(invitation, token, settings.url_for(token)),
                    ordering_key=ordering_key(invitation.id),
                )
                await event.record()
        except IntegrityError:  # a concurrent invitation of the same address won
            raise _pendingconflict() from None
    return IssuedInvitation(invitation=invitation, token=token)


def _pendingconflict() -> GatehouseError:
    return conflict(
        "A pending invitation for this email exists; resend or revoke it.", "INVITATION_PENDING"
    )


async def resend_invitation(
    actor: Principal, invitation_id: int, *, settings: InvitationSettings
) -> IssuedInvitation:
    """A new token and a new expiry for a pending or expired invitation; the old token stops
    working at once, and an undelivered event that carries it is dropped."""
    async with audited(
        actor,
        AuditAction.INVITATION_RESEND,
        target_type=AuditTarget.INVITATION,
        target_id=invitation_id,
    ) as event:
        invitation = await _require_invitation(invitation_id)
        event.details = {"email": invitation.email}
        ensure_may_grant(actor, invitation.roles)
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise _finalconflict(invitation)
        now = utcnow()
        token = generate_invitation_token()
        expires_at = now + timedelta(hours=settings.ttl_hours)
        try:
            async with in_transaction():
                if await User.exists(email=invitation.email):
                    raise conflict(EMAIL_TAKEN)
                await (
                    Invitation.filter(pending_email=invitation.email, expires_at__lte=now)
                    .exclude(id=invitation.id)
                    .update(pending_email=None)
                )
                # Conditional: an acceptance or a revocation that got there first wins.
                changed = await Invitation.filter(
                    id=invitation.id, accepted_at__isnull=True, revoked_at__isnull=True
                ).update(
                    token_hash=hash_secret(token),
                    expires_at=expires_at,
                    pending_email=invitation.email,
                )
                if not changed:
                    raise _finalconflict(await _require_invitation(invitation.id))
                invitation = await _require_invitation(invitation.id)
                await drop_undelivered(USER_INVITED, ordering_key(invitation.id), now)
                event.details["expiresAt"] = expires_at.isoformat()
                await event.emit_data(
                    USER_INVITED,
                    event_data(invitation, token, settings.url_for(token)),
                    ordering_key=ordering_key(invitation.id),
                )
                await event.record()
        except IntegrityError:  # another invitation of the address is pending
            raise _pendingconflict() from None
    return IssuedInvitation(invitation=invitation, token=token)


def _finalconflict(invitation: Invitation) -> GatehouseError:
    if invitation.accepted_at is not None:
        return conflict("The invitation was accepted.", "INVITATION_ACCEPTED")
    return conflict("The invitation was revoked.", "INVITATION_REVOKED")


async def revoke_invitation(actor: Principal, invitation_id: int) -> bool:
    """Its token stops working; revoking a revoked invitation changes nothing and answers
    true, an accepted one is CONFLICT (deactivate the user instead)."""
    async with audited(
        actor,
        AuditAction.INVITATION_REVOKE,
        target_type=AuditTarget.INVITATION,
        target_id=invitation_id,
    ) as event:
        invitation = await _require_invitation(invitation_id)
        event.details = {"email": invitation.email}
        ensure_may_grant(actor, invitation.roles)
        now = utcnow()
        async with in_transaction():
            changed = await Invitation.filter(
                id=invitation.id, accepted_at__isnull=True, revoked_at__isnull=True
            ).update(revoked_at=now, pending_email=None)
            if not changed:
                current = await _require_invitation(invitation.id)
                if current.accepted_at is not None:
                    raise _finalconflict(current)
                event.details["alreadyRevoked"] = True
            else:
                await drop_undelivered(USER_INVITED, ordering_key(invitation.id), now)
            await event.record()
    return True
