"""A mutation declared once: who may call it, what the audit log calls it, what it acts on
and which webhook events it may send; `ChangeExtension` carries the declaration out.

    @mutation(
        action=AuditAction.API_KEY_REVOKE,
        target=Target(AuditTarget.API_KEY, argument="id"),
        allow=allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE),
        events=["key.revoked"],
        description="...",
    )

Every outcome of a signed-in caller is recorded the same way, under the one action:
success in the change's own transaction (the domain function's `audited` joins the
wrapper's event, adds its details and records it next to its write), and any refusal —
the role or scope `allow` checks, or a GatehouseError of the domain function — after the
rollback, with its code as the outcome. The wrapper sits in the schema because the
permission and the argument naming the target are the schema's; the domain functions
keep their own `audited` for callers without a schema (the CLI, the first start).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.permission import PermissionExtension
from strawberry.schema_directive import Location

from auth import signals as signals_module
from auth.audit import AuditAction, AuditTarget, audited
from auth.mfa import require_step_up
from auth.principal import Principal
from auth.signals import Signal, SignalBus
from schema.ids import API_KEY, INVITATION, PASSKEY, SERVICE_ACCOUNT, SESSION, USER, pk_of

_ID_TYPES = {
    AuditTarget.USER: USER,
    AuditTarget.API_KEY: API_KEY,
    AuditTarget.PASSKEY: PASSKEY,
    AuditTarget.SESSION: SESSION,
    AuditTarget.INVITATION: INVITATION,
    AuditTarget.SERVICE_ACCOUNT: SERVICE_ACCOUNT,
}


@dataclass(frozen=True)
class Target:
    """What a mutation acts on: `argument` names the argument holding its global id; None
    for a row the mutation creates, which the domain function names once it exists."""

    type: AuditTarget
    argument: str | None = None

    def id_in(self, arguments: dict[str, Any]) -> int | None:
        value = None if self.argument is None else arguments.get(self.argument)
        # An id of another type names no target of this one.
        return pk_of(value, _ID_TYPES[self.type]) if isinstance(value, str) else None


@dataclass(frozen=True)
class Change:
    action: AuditAction
    target: Target | None
    events: frozenset[str]
    # Sign-in and sign-out record themselves: their actor may be anonymous, and what a
    # failed attempt keeps is decided next to the throttling.
    self_audited: bool = False
    step_up: bool = False
    # False for a mutation that changes no key's, user's or session's standing, only a
    # key's figures (verifyApiKey: calls, credits, rate-limited calls): signalled as CALLS,
    # which subscriptions read again and the verifications' key cache (auth.key_cache)
    # ignores, so that verifying over GraphQL does not empty it.
    changes_credentials: bool = True


class ChangeExtension(FieldExtension):
    """Outermost on the field (last in its list), so the permission check's refusal
    passes through it."""

    def __init__(self, change: Change) -> None:
        self.change = change

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        try:
            return await self._resolve_audited(next_, source, info, **kwargs)
        finally:
            # After the change's commit (or its rollback and the refusal's record): the
            # live subscriptions read again what they show (auth.signals).
            publish_changes(info.context.runtime.signals, self.change, info.context.actor, kwargs)

    async def _resolve_audited(
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        actor = info.context.actor
        # Without a valid credential nothing is recorded: anyone could fill the log.
        if self.change.self_audited or not isinstance(actor, Principal):
            return await next_(source, info, **kwargs)
        target = self.change.target
        async with audited(
            actor,
            self.change.action,
            target_type=None if target is None else target.type,
            target_id=None if target is None else target.id_in(kwargs),
            events=self.change.events,
        ) as event:
            result = await next_(source, info, **kwargs)
            if not event.settled:
                # A domain function that does not record its own event inside its
                # transaction still leaves one, just after it.
                await event.record()
        return result


def publish_changes(bus: SignalBus, change: Change, actor: Any, arguments: dict[str, Any]) -> None:
    """A new audit event, the target the mutation names, and the caller's own session and
    user: signing out ends the session, and a user may end their other sessions (a new
    password, `endOtherSessions`) whose subscriptions then read their credentials again."""
    signals = [Signal(signals_module.AUDIT)]
    target = change.target
    target_id = None if target is None else target.id_in(arguments)
    if not change.changes_credentials:
        bus.publish_all([*signals, Signal(signals_module.CALLS, target_id)])
        return
    if target is not None:
        signals.append(Signal(str(target.type), target_id))
    if isinstance(actor, Principal):
        if actor.user_id is not None:
            signals.append(Signal(signals_module.USER, actor.user_id))
        if actor.session is not None:
            signals.append(Signal(signals_module.SESSION, actor.session.id))
    bus.publish_all(signals)


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="stepUp",
    description="For a user with a second factor, a session must have verified it "
    "(verifyMfa) within STEP_UP_SECONDS: FORBIDDEN with reason STEP_UP_REQUIRED otherwise. "
    "API keys are not sessions and are not asked.",
)
class StepUpDirective:
    pass


class StepUpExtension(FieldExtension):
    """Innermost: after the role and scope checks, so that a caller who may not call the
    field at all is told that, not to verify a factor."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        actor = info.context.actor
        if isinstance(actor, Principal):
            await require_step_up(actor)
        return await next_(source, info, **kwargs)


def mutation(
    *,
    action: AuditAction,
    target: Target | None,
    allow: PermissionExtension,
    description: str,
    events: Iterable[str] = (),
    self_audited: bool = False,
    step_up: bool = False,
    changes_credentials: bool = True,
) -> Callable[[Callable[..., Any]], Any]:
    """`step_up=True`: a session needs a second factor verified within STEP_UP_SECONDS
    (for conditional cases, the domain function calls `auth.mfa.require_step_up`).
    `changes_credentials=False`: see `Change`."""
    change = Change(action, target, frozenset(events), self_audited, step_up, changes_credentials)
    # Strawberry makes the last extension the outermost one.
    extensions: list[FieldExtension] = [allow, ChangeExtension(change)]
    if step_up:
        extensions.insert(0, StepUpExtension())
    return strawberry.mutation(  # type: ignore[no-any-return]
        extensions=extensions,
        description=description,
        directives=[StepUpDirective()] if step_up else (),
    )


def change_of(field: Any) -> Change | None:
    """The declaration a schema field carries; None for a field without one."""
    for extension in getattr(field, "extensions", ()):
        if isinstance(extension, ChangeExtension):
            return extension.change
    return None
