"""Passkeys (WebAuthn credentials) and the one-use challenges of their ceremonies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.conflicts import delete_ended_rows

if TYPE_CHECKING:
    from models.users import User

# What a challenge was issued for: a new passkey of its user, or a sign-in (a passwordless
# one when it names no user, a second factor of its user when it does).
REGISTRATION = "registration"
AUTHENTICATION = "authentication"


class Passkey(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="passkeys", on_delete=fields.CASCADE
    )
    # The authenticator's credential id, base64url as WebAuthn's JSON spells it.
    credential_id = fields.CharField(max_length=1400, unique=True)
    # COSE_Key bytes, base64url; public, but only ever read by the server.
    public_key = fields.TextField()
    sign_count = fields.BigIntField(default=0, db_default=0)
    # The WebAuthn user handle the authenticator stores with the credential (random, one
    # per user): a discoverable credential hands it back at sign-in.
    user_handle = fields.CharField(max_length=128)
    # Comma-separated hints ("internal,hybrid") for the browser's next ceremony.
    transports = fields.CharField(max_length=200, default="", db_default="")
    name = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "passkeys"

    @property
    def transport_list(self) -> list[str]:
        return [each for each in self.transports.split(",") if each]


class PasskeyChallenge(Model):
    # Only the challenge's SHA-256 is kept: the client's answer carries the challenge
    # itself, and the row is found (and deleted, once) by its hash.

    id = fields.BigIntField(primary_key=True)
    challenge_hash = fields.CharField(max_length=64, unique=True)
    purpose = fields.CharField(max_length=16)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="passkey_challenges", null=True, on_delete=fields.CASCADE
    )
    user_handle = fields.CharField(max_length=128, null=True)
    expires_at = fields.DatetimeField(db_index=True)

    user_id: int | None

    class Meta:
        table = "passkey_challenges"


async def delete_ended_challenges(now: datetime) -> int:
    return await delete_ended_rows(PasskeyChallenge, "expires_at", now)
