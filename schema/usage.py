"""Usage over every key: the series, the busiest keys."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.enums import Scope
from resolvers import api_keys, usage
from schema.api_keys import ApiKeyType
from schema.context import Context
from schema.permissions import EVERY_ROLE, allow
from schema.usage_series import (
    SERIES_DESCRIPTION,
    From,
    Granularity,
    GroupBy,
    To,
    UsageBucket,
    series,
)

Info = strawberry.Info[Context, None]


@strawberry.type(description="One key's calls in a range.")
class KeyUsageTotal:
    api_key: ApiKeyType = strawberry.field(description="The key.")
    calls: int = strawberry.field(description="Its calls in the range, refused ones included.")
    errors: int = strawberry.field(description="Those answered with an error code, not OK.")


@strawberry.type
class UsageQuery:
    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description=f"Every key's calls together. {SERIES_DESCRIPTION}",
    )
    async def usage_series(
        self,
        info: Info,
        from_: From,
        to: To,
        granularity: Granularity,
        group_by: GroupBy = (),  # type: ignore[assignment]  # printed as []
    ) -> list[UsageBucket]:
        return await series(from_, to, granularity, group_by, None)

    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="The keys with the most calls in [from, to), most first: by whole UTC "
        "hours for ranges up to 3 days, by whole UTC days beyond.",
    )
    async def top_keys(
        self,
        info: Info,
        from_: From,
        to: To,
        first: Annotated[
            int | None, strawberry.argument(description=f"1 to {usage.MAX_TOP_KEYS}.")
        ] = 10,
    ) -> list[KeyUsageTotal]:
        totals = await usage.busiest_keys(from_, to, 10 if first is None else first)
        found = await api_keys.api_keys_by_ids([total.api_key_id for total in totals])
        return [
            KeyUsageTotal(
                api_key=ApiKeyType.from_model(api_key), calls=total.calls, errors=total.errors
            )
            for total, api_key in zip(totals, found, strict=True)
            if api_key is not None  # deleted meanwhile
        ]
