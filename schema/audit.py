from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from models import AuditEvent, Scope
from resolvers import audit
from schema.context import Context
from schema.pagination import Connection
from schema.permissions import SUPER_ADMIN, allow

Info = strawberry.Info[Context, None]


def _id(pk: int | None) -> strawberry.ID | None:
    """The one place audit ids are written out, matching `resolvers.audit.parse_filter_id`."""
    return None if pk is None else strawberry.ID(str(pk))


@strawberry.type(name="AuditEvent")
class AuditEventType:
    id: strawberry.ID
    at: datetime
    actor_type: str = strawberry.field(
        description='One of "user", "api_key", "anonymous", "system".'
    )
    actor_id: strawberry.ID | None = strawberry.field(
        description="The user's or the key's id; null for anonymous callers and the system."
    )
    client_address: str | None
    action: str = strawberry.field(description='Named "<target type>.<verb>", e.g. "user.create".')
    target_type: str | None = strawberry.field(description='One of "user", "api_key".')
    target_id: strawberry.ID | None
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
            actor_id=_id(event.actor_id),
            client_address=event.client_address,
            action=event.action,
            target_type=event.target_type,
            target_id=_id(event.target_id),
            outcome=event.outcome,
            details=cast("JSON | None", event.details),
        )


@strawberry.input
class AuditFilter:
    actor_id: strawberry.ID | None = None
    action: str | None = strawberry.field(
        default=None, description='The exact action, e.g. "user.delete".'
    )
    target_id: strawberry.ID | None = None
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
        first: Annotated[int | None, strawberry.argument(description="1 to 100.")] = 20,
        after: str | None = None,
        filter: AuditFilter | None = None,  # noqa: A002 - the contract's name
    ) -> Connection[AuditEventType]:
        criteria = filter or AuditFilter()
        page = await audit.list_audit_events(
            first=first,
            after=after,
            actor_id=criteria.actor_id,
            action=criteria.action,
            target_id=criteria.target_id,
            outcome=criteria.outcome,
            since=criteria.since,
            until=criteria.until,
        )
        return Connection.from_page(page, AuditEventType.from_model)
