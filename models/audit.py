from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class AuditEvent(Model):
    """Who did what to which user or key, and how it ended. Written in the same transaction
    as the change it records; never holds a password, secret, token or hash."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor_type = fields.CharField(max_length=16)  # "user", "api_key", "anonymous", "system"
    actor_id = fields.BigIntField(null=True, db_index=True)
    client_address = fields.CharField(max_length=45, null=True)
    action = fields.CharField(max_length=64, db_index=True)  # e.g. "user.create", "login"
    target_type = fields.CharField(max_length=16, null=True)  # "user", "api_key"
    target_id = fields.BigIntField(null=True, db_index=True)
    outcome = fields.CharField(max_length=32)  # "OK" or an error code
    details: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)

    class Meta:
        table = "audit_events"


async def record_audit_event(
    *,
    action: str,
    outcome: str,
    actor_type: str,
    actor_id: int | None = None,
    client_address: str | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    return await AuditEvent.create(
        action=action,
        outcome=outcome,
        actor_type=actor_type,
        actor_id=actor_id,
        client_address=client_address,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )
