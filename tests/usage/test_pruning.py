"""Pruning the roll-ups: hourly and daily rows past their retention go, monthly stay; two
runs at once delete each row once; the CLI command logs its progress."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auth.runtime import current
from models import ApiKeyUsageRollup, Role
from resolvers.usage_retention import prune_usage
from tests.support.cli import Gatehouse, rows
from tests.support.factories import make_api_key, make_user

NOW = datetime(2030, 3, 14, 15, 30, tzinfo=UTC)


async def record_calls_over(days: int) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    api_key, _ = await make_api_key(owner)
    for day in range(days):
        await current().calls.record(api_key.id, NOW - timedelta(days=day), operation="Daily")


async def counts() -> dict[str, int]:
    found = [
        str(each) for each in await ApiKeyUsageRollup.all().values_list("granularity", flat=True)
    ]
    return {granularity: found.count(granularity) for granularity in ("HOUR", "DAY", "MONTH")}


async def test_hourly_and_daily_rows_past_their_retention_go_monthly_ones_stay(
    db: None,
) -> None:
    await record_calls_over(40)
    report = await prune_usage(14, 30, batch_size=7, now=NOW)
    # Days 0..14 are within 14 days of NOW's hour (day 14 is exactly at the cut's hour,
    # after it by its 30 minutes): 15 hours kept; days 0..30 for the daily rows.
    assert (report.hourly_rows, report.daily_rows) == (25, 9)
    assert await counts() == {"HOUR": 15, "DAY": 31, "MONTH": 2}
    assert await prune_usage(14, 30, now=NOW) == type(report)(
        0, 0, report.hourly_before, report.daily_before
    )


async def test_two_prunes_at_once_delete_each_row_once(db: None) -> None:
    await record_calls_over(60)
    first, second = await asyncio.gather(
        prune_usage(1, 1, batch_size=4, now=NOW), prune_usage(1, 1, batch_size=4, now=NOW)
    )
    assert first.hourly_rows + second.hourly_rows == 58
    assert first.daily_rows + second.daily_rows == 58
    assert await counts() == {"HOUR": 2, "DAY": 2, "MONTH": 3}


def test_the_cli_prunes_by_the_settings_and_logs_its_progress(tmp_path: Path) -> None:
    database = tmp_path / "usage.sqlite3"
    cli = Gatehouse.on_sqlite(tmp_path, database)
    assert cli("migrate").returncode == 0
    old = (datetime.now(UTC) - timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    with closing(sqlite3.connect(database)) as connection, connection:
        # sqlite3 leaves foreign keys unchecked unless asked: no key row is needed.
        for granularity in ("HOUR", "DAY", "MONTH"):
            connection.execute(
                "INSERT INTO api_key_usage_rollups (api_key_id, granularity, bucket_start, "
                "operation, outcome, calls) VALUES (1, ?, ?, 'Op', 'OK', 3)",
                (granularity, old.isoformat(" ")),
            )
    first = cli("prune-usage", "--batch-size", "10", USAGE_DAILY_RETENTION_DAYS="19")
    assert first.returncode == 0, first.stderr
    output = first.stdout + first.stderr
    assert "pruning hour usage rows" in output
    assert "pruned 1 hourly usage rows" in output
    assert "and 1 daily ones" in output
    assert rows(database, "SELECT granularity FROM api_key_usage_rollups") == [("MONTH",)]
    again = cli("prune-usage")
    assert again.returncode == 0
    assert "pruned 0 hourly usage rows" in again.stdout + again.stderr
