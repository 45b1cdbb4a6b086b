from __future__ import annotations

import strawberry

from core.enums import Scope
from resolvers import metrics
from schema.context import Context
from schema.permissions import EVERY_ROLE, allow

Info = strawberry.Info[Context, None]


@strawberry.type(description="Counts over every API key in the portal.")
class KeyMetrics:
    total_keys: int = strawberry.field(description="Every key, whatever its status.")
    active_keys: int = strawberry.field(description="Keys whose status is ACTIVE.")
    expired_keys: int = strawberry.field(description="Keys whose status is EXPIRED.")
    revoked_keys: int = strawberry.field(description="Keys whose status is REVOKED.")
    api_calls_today: int = strawberry.field(description="Calls by every key since 00:00 UTC.")
    expiring_soon: int = strawberry.field(
        description="Active keys expiring within EXPIRY_WARNING_DAYS (default 7)."
    )


@strawberry.type
class MetricsQuery:
    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="Counts of keys by status, and today's calls by every key.",
    )
    async def key_metrics(self, info: Info) -> KeyMetrics:
        return await read_key_metrics(info.context.settings.expiry_warning_days)


async def read_key_metrics(expiry_warning_days: int) -> KeyMetrics:
    """The figures of `keyMetrics`, read now (the query's and the subscription's)."""
    figures = await metrics.key_metrics(expiry_warning_days)
    return KeyMetrics(
        total_keys=figures.total_keys,
        active_keys=figures.active_keys,
        expired_keys=figures.expired_keys,
        revoked_keys=figures.revoked_keys,
        api_calls_today=figures.api_calls_today,
        expiring_soon=figures.expiring_soon,
    )
