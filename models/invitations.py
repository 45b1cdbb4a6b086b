"""Invitations: a super-admin names a person's email and roles, the person chooses their own
password by accepting with the token sent to them (the `user.invited` webhook event)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from core.enums import InvitationStatus, Role

if TYPE_CHECKING:
    from models.users import User


class Invitation(Model):
    # The token itself is never stored, only its SHA-256, as for sessions: it carries 256
    # bits of entropy, so a slow hash would buy nothing. A resend replaces the hash, so the
    # old token stops working.

    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=320, db_index=True)
    # The email while the invitation may still be accepted, null once accepted or revoked
    # (and cleared from an expired one before a new invitation of the same email): unique,
    # so two concurrent invitations of one address cannot both be pending.
    pending_email = fields.CharField(max_length=320, null=True, unique=True)
    display_name = fields.CharField(max_length=200)
    roles_encoded = fields.CharField(max_length=64)
    invited_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations_sent", null=True, on_delete=fields.SET_NULL
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    expires_at = fields.DatetimeField(db_index=True)
    accepted_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    accepted_user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations_accepted", null=True, on_delete=fields.SET_NULL
    )

    invited_by_id: int | None
    accepted_user_id: int | None

    class Meta:
        table = "invitations"

    @property
    def roles(self) -> list[Role]:
        return [Role(name) for name in self.roles_encoded.strip(",").split(",") if name]

    def status_at(self, now: datetime) -> InvitationStatus:
        """Accepted and revoked are final; a pending invitation expires with time."""
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= now:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING
