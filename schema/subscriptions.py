"""Live values over graphql-transport-ws and SSE: each root field sends its value at once,
then again after every change (coalesced to about one message a second), with the
permission of the matching query. See docs/subscriptions.md."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from auth import signals
from core.enums import Scope
from resolvers import api_keys, live
from schema.api_keys import ApiKeyType
from schema.audit import AuditEventType
from schema.context import Context
from schema.ids import API_KEY, ApiKeyId, pk_of
from schema.metrics import KeyMetrics, read_key_metrics
from schema.permissions import EVERY_ROLE, SUPER_ADMIN, allow

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="Values pushed as they change, over graphql-transport-ws on /graphql or "
    "GraphQL over SSE (`Accept: text/event-stream`); the same credentials and permissions "
    "as the matching queries."
)
class Subscription:
    @strawberry.subscription(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="`keyMetrics` now, then after every key call or key change.",
    )
    async def key_metrics(self, info: Info) -> AsyncGenerator[KeyMetrics, None]:
        context = info.context
        interest = live.any_of(
            live.about(signals.API_KEY), live.about(signals.CALLS), live.about(signals.USER)
        )
        days = context.settings.expiry_warning_days
        async for fresh_after in live.watch(
            context.principal, context.runtime, interest, "keyMetrics"
        ):
            yield await live.shared_read(
                ("keyMetrics", days), fresh_after, lambda: read_key_metrics(days)
            )

    @strawberry.subscription(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="The key now, then after each of its calls or changes; null once deleted "
        "(or when the id names no key).",
    )
    async def api_key(
        self,
        info: Info,
        id: ApiKeyId,  # noqa: A002 - the contract's name
    ) -> AsyncGenerator[ApiKeyType | None, None]:
        context = info.context
        pk = pk_of(id, API_KEY)
        interest = live.any_of(
            live.about(signals.API_KEY, pk),
            live.about(signals.CALLS, pk),
            live.about(signals.USER),
        )
        async for fresh_after in live.watch(context.principal, context.runtime, interest, "apiKey"):
            api_key = (
                None
                if pk is None
                else await live.shared_read(
                    ("apiKey", pk), fresh_after, lambda: api_keys.get_api_key(pk)
                )
            )
            yield ApiKeyType.from_model(api_key) if api_key else None

    @strawberry.subscription(
        extensions=[allow(SUPER_ADMIN, scope=Scope.READ)],
        description="The newest audit event now (if any), then each new one as it is "
        "recorded, oldest first. SUPER_ADMIN.",
    )
    async def audit_events(self, info: Info) -> AsyncGenerator[AuditEventType, None]:
        context = info.context
        last_id: int | None = None
        async for _ in live.watch(
            context.principal, context.runtime, live.about(signals.AUDIT), "auditEvents"
        ):
            if last_id is None:
                latest = await live.latest_audit_event()
                last_id = 0 if latest is None else latest.id
                if latest is not None:
                    yield AuditEventType.from_model(latest)
                continue
            while events := await live.audit_events_after(last_id):
                for event in events:
                    last_id = event.id
                    yield AuditEventType.from_model(event)
