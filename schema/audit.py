from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from core.enums import Scope
from core.errors import bad_input
from resolvers import audit
from resolvers.rows import AuditEvent
from schema.context import Context
from schema.ids import (
    API_KEY,
    INVITATION,
    SERVICE_ACCOUNT,
    SESSION,
    USER,
    decode_global_id,
    global_id,
)
from schema.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_request,
    selects_total_count,
)
from schema.permissions import SUPER_ADMIN, allow

Info = strawberry.Info[Context, None]


_TYPE_NAMES = {
    "user": USER,
    "api_key": API_KEY,
    "session": SESSION,
    "invitation": INVITATION,
    "service_account": SERVICE_ACCOUNT,
}


def _id(kind: str | None, pk: int | None) -> strawberry.ID | None:
    """A user's, key's or service account's global id, as everywhere else in the API."""
    if pk is None or kind not in _TYPE_NAMES:
        return None
    return global_id(_TYPE_NAMES[kind], pk)


def _filter_pk(name: str, value: strawberry.ID | None) -> int | None:
    """A filter's id may name a user or a key: the events carry the type beside the id."""
    if value is None:
        return None
    decoded = decode_global_id(value)
    if decoded is None:
        raise bad_input(f"`{name}` is not the id of a user, an API key or a service account.")
    return decoded[1]


@strawberry.type(
    name="AuditEvent",
    description="One state-changing operation or sign-in attempt: who, from where, what, on "
    "which user or key, and how it ended.",
)
class AuditEventType:
    id: strawberry.ID = strawberry.field(description="The event's own id.")
    at: datetime = strawberry.field(description="When it happened.")
    actor_type: str = strawberry.field(
        description='One of "user", "api_key", "anonymous", "system".'
    )
    actor_id: strawberry.ID | None = strawberry.field(
        description="The user's or the key's id; null for anonymous callers and the system."
    )
    client_address: str | None = strawberry.field(
        description="The caller's address: the socket's peer, or what a trusted proxy reports."
    )
    action: str = strawberry.field(description='Named "<target type>.<verb>", e.g. "user.create".')
    target_type: str | None = strawberry.field(
        description='One of "user", "api_key", "session", "invitation", "service_account".'
    )
    target_id: strawberry.ID | None = strawberry.field(
        description="The global id of the user, key or service account acted on; null when "
        "there is none."
    )
    outcome: str = strawberry.field(description='Either "OK" or the error code of the refusal.')
    details: JSON | None = strawberry.field(
        description="What changed; never a password, secret, token or hash."
    )

    @classmethod
    def from_model(cls, event: AuditEvent) -> AuditEventType:
        return cls(
            id=strawberry.ID(str(event.id)),
            at=event.at,
            actor_type=event.actor_type,
            actor_id=_id(event.actor_type, event.actor_id),
            client_address=event.client_address,
            action=event.action,
            target_type=event.target_type,
            target_id=_id(event.target_type, event.target_id),
            outcome=event.outcome,
            details=cast("JSON | None", event.details),
        )


@strawberry.input(description="Every field given must match (AND).")
class AuditFilter:
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Events by this user or key (a global id)."
    )
    action: str | None = strawberry.field(
        default=None, description='The exact action, e.g. "user.delete".'
    )
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="Events on this user, key or service account (a global id)."
    )
    outcome: str | None = strawberry.field(
        default=None, description='Either "OK" or an error code.'
    )
    since: datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.type
class AuditQuery:
    @strawberry.field(
        extensions=[allow(SUPER_ADMIN, scope=Scope.READ)],
        description="Who did what to which user or key, and how it ended; newest first.",
    )
    async def audit_log(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[  # noqa: A002 - the contract's name
            AuditFilter | None, strawberry.argument(description="Null lists every event.")
        ] = None,
    ) -> Connection[AuditEventType]:
        criteria = filter or AuditFilter()
        page = await audit.list_audit_events(
            page_request(info, first, after, last, before),
            with_total=selects_total_count(info),
            actor_id=_filter_pk("actorId", criteria.actor_id),
            action=criteria.action,
            target_id=_filter_pk("targetId", criteria.target_id),
            outcome=criteria.outcome,
            since=criteria.since,
            until=criteria.until,
        )
        return Connection.from_page(page, AuditEventType.from_model)
