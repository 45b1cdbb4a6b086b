"""Pruning the usage roll-ups: hourly rows after USAGE_HOURLY_RETENTION_DAYS, daily rows
after USAGE_DAILY_RETENTION_DAYS; monthly rows are kept.

Each batch is one short DELETE of at most `batch_size` rows by id, so no transaction or lock
grows with the backlog, and the call counter's upserts of the current buckets never wait
behind it. Several hosts may prune at once (cron on every replica): a row is deleted once,
whoever deletes it; on PostgreSQL a batch skips the rows another pruner's batch holds
(`FOR UPDATE SKIP LOCKED`) instead of waiting for them, and a run ends when a batch finds
nothing left to delete.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import utcnow
from models.usage_rollups import DAY, HOUR, bucket_start, delete_rollups_before

log = logging.getLogger("gatehouse.usage")

PRUNE_BATCH_SIZE = 5000


@dataclass(frozen=True)
class UsagePruneReport:
    hourly_rows: int
    daily_rows: int
    hourly_before: datetime
    daily_before: datetime


async def _prune(granularity: str, before: datetime, batch_size: int) -> int:
    removed = 0
    while True:
        deleted = await delete_rollups_before(granularity, before, batch_size)
        if deleted == 0:
            return removed
        removed += deleted
        log.info(
            "pruning %s usage rows before %s: %d so far",
            granularity.lower(),
            before.isoformat(timespec="seconds"),
            removed,
        )


async def prune_usage(
    hourly_retention_days: int,
    daily_retention_days: int,
    *,
    batch_size: int = PRUNE_BATCH_SIZE,
    now: datetime | None = None,
) -> UsagePruneReport:
    """Delete the hourly buckets that started more than `hourly_retention_days` ago and the
    daily ones more than `daily_retention_days` ago (whole buckets: the cut falls on the
    start of an hour or a UTC day)."""
    now = now or utcnow()
    hourly_before = bucket_start(now - timedelta(days=hourly_retention_days), HOUR)
    daily_before = bucket_start(now - timedelta(days=daily_retention_days), DAY)
    report = UsagePruneReport(
        hourly_rows=await _prune(HOUR, hourly_before, batch_size),
        daily_rows=await _prune(DAY, daily_before, batch_size),
        hourly_before=hourly_before,
        daily_before=daily_before,
    )
    log.info(
        "pruned %d hourly usage rows (before %s) and %d daily ones (before %s); "
        "monthly rows are kept",
        report.hourly_rows,
        hourly_before.isoformat(timespec="seconds"),
        report.daily_rows,
        daily_before.isoformat(timespec="seconds"),
    )
    return report
