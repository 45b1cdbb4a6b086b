"""Second factors kept by the server: a user's TOTP secret and their recovery codes.

The TOTP secret is stored as it is (the server needs it to compute codes); recovery codes
only as SHA-256 digests: each carries 80 random bits, so a fast hash is as safe as Argon2
for them (as for API keys) and checking one costs no hashing pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.users import User


class TotpFactor(Model):
    # One row a user: `pending_secret` between beginTotpEnrollment and its confirmation,
    # `secret` once confirmed. `last_step` is the RFC 6238 time step of the last code
    # accepted: a code is accepted only for a later step, by one conditional UPDATE, so a
    # code is used once across every process.

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="totp_factor", on_delete=fields.CASCADE
    )
    secret = fields.CharField(max_length=64, null=True)
    pending_secret = fields.CharField(max_length=64, null=True)
    last_step = fields.BigIntField(default=0, db_default=0)
    confirmed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "totp_factors"


class RecoveryCode(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64)
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "recovery_codes"
        unique_together = (("user", "code_hash"),)
