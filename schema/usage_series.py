"""The usage series' GraphQL shapes, shared by `ApiKey.usageSeries` and `Query.usageSeries`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers import usage
from schema.enums import _described

UsageGranularityEnum = _described(
    usage.UsageGranularity,
    "UsageGranularity",
    "The length of a usage bucket; buckets start on UTC boundaries.",
    {
        "HOUR": "One bucket per UTC hour (kept USAGE_HOURLY_RETENTION_DAYS, default 14).",
        "DAY": "One bucket per UTC day (kept USAGE_DAILY_RETENTION_DAYS, default 400).",
        "MONTH": "One bucket per UTC calendar month (kept for good).",
    },
)
UsageDimensionEnum = _described(
    usage.UsageDimension,
    "UsageDimension",
    "What a usage series may be split by, besides time.",
    {
        "OPERATION": 'The GraphQL operation name ("(anonymous)" for an unnamed one).',
        "OUTCOME": "OK, or the error code the call was answered with.",
    },
)


@strawberry.type(description="Calls in one bucket, of one operation and outcome if grouped.")
class UsageBucket:
    start: datetime = strawberry.field(description="The bucket's first instant, UTC.")
    operation: str | None = strawberry.field(
        description='The operation name when grouped by OPERATION ("(anonymous)" for '
        "an unnamed operation); null otherwise."
    )
    outcome: str | None = strawberry.field(
        description="OK or the error code answered, when grouped by OUTCOME; null otherwise."
    )
    calls: int = strawberry.field(description="Requests in the bucket, refused ones included.")


From = Annotated[
    datetime,
    strawberry.argument(name="from", description="The range's start: its bucket is the first one."),
]
To = Annotated[datetime, strawberry.argument(description="The range's end, exclusive.")]
Granularity = Annotated[
    usage.UsageGranularity, strawberry.argument(description="One bucket per HOUR, DAY or MONTH.")
]
GroupBy = Annotated[
    list[usage.UsageDimension] | None,
    strawberry.argument(description="Split each bucket by operation, outcome or both."),
]
SERIES_DESCRIPTION = (
    "Calls per UTC bucket in [from, to), oldest first. Without groupBy every bucket is "
    "listed, zero ones too; grouped, only the groups with calls. At most 8784 hours, 3660 "
    "days or 1200 months (BAD_USER_INPUT, reason RANGE_TOO_LONG)."
)


async def series(
    start: datetime,
    end: datetime,
    granularity: usage.UsageGranularity,
    group_by: list[usage.UsageDimension] | None,
    api_key_id: int | None,
) -> list[UsageBucket]:
    wanted = usage.usage_range(start, end, usage.UsageGranularity(granularity).value)
    query = usage.series_query(wanted, [str(each.value) for each in group_by or ()], api_key_id)
    return [
        UsageBucket(start=row.start, operation=row.operation, outcome=row.outcome, calls=row.calls)
        for row in await usage.list_series(query)
    ]
