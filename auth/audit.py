"""Audit events on behalf of the caller: who acted is taken from the actor itself."""

from __future__ import annotations

from typing import Any

from auth.principal import Actor, Principal
from models.audit import AuditEvent, record_audit_event


async def audit(
    actor: Actor | None,
    action: str,
    *,
    outcome: str = "OK",
    target_type: str | None = None,
    target_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """`actor=None` is the system itself (the CLI, a sweep). Call it inside the transaction
    of the change it records, so the event and the change land or fail together."""
    if actor is None:
        actor_type, actor_id, address = "system", None, None
    elif isinstance(actor, Principal):
        actor_type = "api_key" if actor.api_key is not None else "user"
        actor_id = actor.api_key.id if actor.api_key is not None else actor.user.id
        address = actor.client_address
    else:
        actor_type, actor_id, address = "anonymous", None, actor.client_address
    return await record_audit_event(
        action=action,
        outcome=outcome,
        actor_type=actor_type,
        actor_id=actor_id,
        client_address=address,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )
