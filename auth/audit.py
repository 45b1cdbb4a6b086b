"""Audit events on behalf of the caller: who acted is taken from the actor itself.

The action names are part of the API (super-admins filter `auditLog` by them) and are
listed in docs/security.md; keep the two in step.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from auth.principal import Actor, Principal
from core.errors import GatehouseError
from models.audit import AuditEvent, record_audit_event

log = logging.getLogger("gatehouse.audit")

USER_CREATE = "user.create"
USER_UPDATE = "user.update"
USER_RESET_PASSWORD = "user.reset_password"  # noqa: S105 - an action name, not a password
USER_CHANGE_PASSWORD = "user.change_password"  # noqa: S105 - an action name, not a password
USER_DELETE = "user.delete"
API_KEY_CREATE = "api_key.create"
API_KEY_REVOKE = "api_key.revoke"
API_KEY_DELETE = "api_key.delete"
API_KEY_ROLL = "api_key.roll"
API_KEY_UPDATE = "api_key.update"
SESSION_LOGIN = "session.login"
SESSION_LOGOUT = "session.logout"

TARGET_USER = "user"
TARGET_API_KEY = "api_key"


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
        if actor.api_key is not None:
            # A key acts for its owner; name the owner so the event survives the key's deletion.
            details = {**(details or {}), "keyOwnerId": actor.user.id}
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


@dataclass
class PendingAuditEvent:
    """The event of one operation, filled in as the operation learns its target and changes."""

    actor: Actor | None
    action: str
    target_type: str | None
    target_id: int | None = None
    details: dict[str, Any] | None = None

    async def record(self) -> None:
        """Write the successful event; call it inside the transaction of the change."""
        await audit(
            self.actor,
            self.action,
            target_type=self.target_type,
            target_id=self.target_id,
            details=self.details,
        )


@asynccontextmanager
async def audited(
    actor: Actor | None, action: str, *, target_type: str | None, target_id: int | None = None
) -> AsyncIterator[PendingAuditEvent]:
    """Audit one operation: the body calls `event.record()` inside the transaction of its
    change; a refusal (any GatehouseError) is recorded with its code as the outcome, after
    the refused transaction has rolled back, so that refusals are seen too."""
    event = PendingAuditEvent(actor, action, target_type, target_id)
    try:
        yield event
    except GatehouseError as refusal:
        await _record_refusal(event, refusal)
        raise


async def _record_refusal(event: PendingAuditEvent, refusal: GatehouseError) -> None:
    details = event.details
    if refusal.reason is not None:
        details = {**(details or {}), "reason": refusal.reason}
    try:
        await audit(
            event.actor,
            event.action,
            outcome=refusal.code.value,
            target_type=event.target_type,
            target_id=event.target_id,
            details=details,
        )
    except Exception:  # the refusal stands; a lost record must not turn it into INTERNAL
        log.exception("could not record the refusal of %s", event.action)
