"""Audit events on behalf of the caller: who acted is taken from the actor itself.

The action names are part of the API (super-admins filter `auditLog` by them) and are
listed in docs/security.md; keep the two in step.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from auth.principal import Actor, Principal
from core.errors import GatehouseError
from models import ApiKey
from models.audit import AuditEvent, record_audit_event
from models.webhooks import enqueue_event, enqueue_key_event

log = logging.getLogger("gatehouse.audit")


class AuditAction(StrEnum):
    """Each action's value is API: super-admins filter `auditLog` by it."""

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
    API_KEY_DENIED_ADDRESS = "api_key.denied_address"
    API_KEY_DISABLE = "api_key.disable"
    API_KEY_ENABLE = "api_key.enable"
    # A verification is audited only when it changes something: the key's last credit.
    API_KEY_VERIFY = "api_key.verify"
    API_KEY_EXHAUSTED = "api_key.exhausted"
    SERVICE_ACCOUNT_CREATE = "service_account.create"
    SERVICE_ACCOUNT_UPDATE = "service_account.update"
    SERVICE_ACCOUNT_DELETE = "service_account.delete"
    SESSION_LOGIN = "session.login"
    SESSION_LOGOUT = "session.logout"
    INVITATION_CREATE = "invitation.create"
    INVITATION_RESEND = "invitation.resend"
    INVITATION_REVOKE = "invitation.revoke"
    INVITATION_ACCEPT = "invitation.accept"
    SESSION_END = "session.end"
    SESSION_END_OTHERS = "session.end_others"
    MFA_TOTP_ENROLLMENT_BEGIN = "mfa.totp_enrollment_begin"
    MFA_TOTP_ENABLE = "mfa.totp_enable"
    MFA_TOTP_DISABLE = "mfa.totp_disable"
    MFA_RECOVERY_CODES_REGENERATE = "mfa.recovery_codes_regenerate"
    MFA_VERIFY = "mfa.verify"
    MFA_RESET = "mfa.reset"
    SESSION_PASSKEY_LOGIN = "session.passkey_login"
    PASSKEY_BEGIN_REGISTRATION = "passkey.begin_registration"
    PASSKEY_REGISTER = "passkey.register"
    PASSKEY_REMOVE = "passkey.remove"


class AuditTarget(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    INVITATION = "invitation"
    SESSION = "session"
    PASSKEY = "passkey"
    SERVICE_ACCOUNT = "service_account"


# The change an outer `audited` (the schema's mutation wrapper) is recording, which an
# inner one for the same action joins instead of recording a second event.
_current: ContextVar[PendingAuditEvent | None] = ContextVar("gatehouse_audit", default=None)


# The actor, or what makes it: an actor that acting itself does not need is built only
# when an event names it (a root key's principal on /v1/keys/verify).
ActorSource = Actor | Callable[[], Actor] | None


async def audit(
    actor: ActorSource,
    action: AuditAction,
    *,
    outcome: str = "OK",
    target_type: AuditTarget | None = None,
    target_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """`actor=None` is the system itself (the CLI, a sweep). Call it inside the transaction
    of the change it records, so the event and the change land or fail together."""
    if callable(actor):
        actor = actor()
    if actor is None:
        actor_type, actor_id, address = "system", None, None
    elif isinstance(actor, Principal):
        actor_type = "api_key" if actor.api_key is not None else "user"
        actor_id = actor.api_key.id if actor.api_key is not None else actor.user_id
        address = actor.client_address
        if actor.api_key is not None:
            # A key acts for its owner; name the owner so the event survives the key's deletion.
            owner = (
                {"keyServiceAccountId": actor.service_account_id}
                if actor.service_account is not None
                else {"keyOwnerId": actor.user_id}
            )
            details = {**(details or {}), **owner}
    else:
        actor_type, actor_id, address = "anonymous", None, actor.client_address
    return await record_audit_event(
        action=str(action),
        outcome=outcome,
        actor_type=actor_type,
        actor_id=actor_id,
        client_address=address,
        target_type=None if target_type is None else str(target_type),
        target_id=target_id,
        details=details,
    )


@dataclass
class PendingAuditEvent:
    """The event of one operation, filled in as the operation learns its target and changes."""

    actor: ActorSource
    action: AuditAction
    target_type: AuditTarget | None
    target_id: int | None = None
    details: dict[str, Any] | None = None
    # The webhook events the operation's declaration allows; None when undeclared (the CLI).
    events: frozenset[str] | None = None
    # Recorded, or found to change nothing: either way there is nothing left to record.
    settled: bool = field(default=False, init=False)

    async def record(self) -> None:
        """Write the successful event; call it inside the transaction of the change."""
        await audit(
            self.actor,
            self.action,
            target_type=self.target_type,
            target_id=self.target_id,
            details=self.details,
        )
        self.settled = True

    def nothing_changed(self) -> None:
        """An operation that changed nothing leaves no event."""
        self.settled = True

    async def emit(self, event_type: str, api_key: ApiKey) -> None:
        """Queue a webhook event of this change; call it inside the change's transaction."""
        self._check_declared(event_type)
        await enqueue_key_event(event_type, api_key)

    async def emit_data(self, event_type: str, data: dict[str, Any], *, ordering_key: str) -> None:
        """As `emit`, for an event about another row than a key (an invitation)."""
        self._check_declared(event_type)
        await enqueue_event(event_type, data, ordering_key=ordering_key)

    def _check_declared(self, event_type: str) -> None:
        if self.events is not None and event_type not in self.events:
            msg = f"{self.action} does not declare the webhook event {event_type}"
            raise RuntimeError(msg)


@asynccontextmanager
async def audited(
    actor: ActorSource,
    action: AuditAction,
    *,
    target_type: AuditTarget | None,
    target_id: int | None = None,
    events: frozenset[str] | None = None,
) -> AsyncIterator[PendingAuditEvent]:
    """Audit one operation: the body calls `event.record()` inside the transaction of its
    change; a refusal (any GatehouseError) is recorded with its code as the outcome, after
    the refused transaction has rolled back, so that refusals are seen too. Inside an outer
    `audited` of the same action (a mutation's wrapper) the outer event is the one used:
    the domain function adds its details and the wrapper records refusals, once."""
    outer = _current.get()
    if outer is not None and outer.action == action:
        if outer.target_id is None:
            outer.target_id = target_id
        yield outer
        return
    event = PendingAuditEvent(actor, action, target_type, target_id, events=events)
    token = _current.set(event)
    try:
        yield event
    except GatehouseError as refusal:
        await _record_refusal(event, refusal)
        raise
    finally:
        _current.reset(token)


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
