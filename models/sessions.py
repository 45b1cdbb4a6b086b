from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.users import User


class Session(Model):
    # The token itself is never stored, only its SHA-256.

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    # Written at most about once a minute, not per request (auth/sessions.py); `login` sets
    # it, other ways of opening a session may leave it null until the first write.
    last_seen_at = fields.DatetimeField(null=True)
    client_address = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=512, null=True)
    # When a second factor was last verified on this session (step-up counts from it).
    mfa_verified_at = fields.DatetimeField(null=True)
    # A SessionRestriction name; null for a full session.
    restriction = fields.CharField(max_length=32, null=True)

    user_id: int

    class Meta:
        table = "sessions"
