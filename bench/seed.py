"""Seed a benchmark database: users, API keys and daily usage roll-ups.

Rows go in through the models (so every column gets its default) in batches; usage
roll-ups, the bulk of the rows, through one multi-row insert per batch. Deterministic:
the same scale gives the same data.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from tortoise import Tortoise
from tortoise.connection import get_connection

from auth.tokens import hash_secret
from core.clock import utcnow
from gatehouse.database import tortoise_config
from models import ApiKey, Role, User
from models.api_keys import encode_scopes
from models.users import encode_roles

BATCH = 2_000
# Argon2id of a password nobody knows; seeded users are rows to list, not accounts to use.
_UNUSABLE_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VlZHNlZWRzZWVk$" + "A" * 43


async def seed(database_url: str, *, users: int, keys: int, calls: int, days: int = 90) -> None:
    """`calls` are spread over roll-up rows of `keys`, about ten active days per key."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        await _seed(users=users, keys=keys, calls=calls, days=days)
    finally:
        await Tortoise.close_connections()


async def _seed(*, users: int, keys: int, calls: int, days: int) -> None:
    rng = random.Random(20261127)  # noqa: S311 - test data, not secrets
    now = utcnow()
    for start in range(0, users, BATCH):
        batch = [
            User(
                email=f"seed{number}@example.com",
                display_name=f"Seeded user {number}",
                password_hash=_UNUSABLE_HASH,
                roles_encoded=encode_roles([rng.choice(list(Role))]),
                last_login_at=now - timedelta(minutes=rng.randrange(1, 200_000)),
            )
            for number in range(start, min(start + BATCH, users))
        ]
        await User.bulk_create(batch)
    owner_ids = [pk for (pk,) in await User.all().values_list("id")]

    first_key_id = (await ApiKey.all().order_by("-id").first().values_list("id", flat=True)) or 0
    for start in range(0, keys, BATCH):
        key_batch: list[ApiKey] = []
        for number in range(start, min(start + BATCH, keys)):
            digest = hash_secret(f"seeded-key-{first_key_id}-{number}")
            roll = rng.random()
            key_batch.append(
                ApiKey(
                    name=f"seeded key {number}",
                    key_hash=digest,
                    key_prefix="gk_" + digest[:4],
                    key_last_four=digest[-4:],
                    scopes_encoded=encode_scopes(["READ"]),  # type: ignore[list-item]
                    created_by_id=rng.choice(owner_ids),
                    expires_at=now + timedelta(days=rng.randrange(-30, 365))
                    if roll < 0.3
                    else None,
                    revoked_at=now - timedelta(days=1) if roll > 0.9 else None,
                    last_used_at=now - timedelta(minutes=rng.randrange(1, 100_000)),
                    total_calls=0,
                )
            )
        await ApiKey.bulk_create(key_batch)
    key_ids = [
        pk for (pk,) in await ApiKey.filter(id__gt=first_key_id).order_by("id").values_list("id")
    ]

    rows = _usage_rows(rng, key_ids, calls=calls, days=days, today=now.date())
    connection = get_connection("default")
    postgres = connection.capabilities.dialect == "postgres"
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        if postgres:
            marks = (f"(${i * 3 + 1}, ${i * 3 + 2}, ${i * 3 + 3})" for i in range(len(chunk)))
        else:
            marks = ("(?, ?, ?)" for _ in chunk)
        await connection.execute_query(
            "INSERT INTO api_key_usage_days (api_key_id, day, calls) "  # noqa: S608
            f"VALUES {', '.join(marks)}",
            [value for row in chunk for value in row],
        )
    await connection.execute_query("DELETE FROM api_call_days")
    await connection.execute_query(
        "INSERT INTO api_call_days (day, calls) "
        "SELECT day, SUM(calls) FROM api_key_usage_days GROUP BY day"
    )
    await connection.execute_query(
        "UPDATE api_keys SET total_calls = (SELECT COALESCE(SUM(calls), 0) "
        "FROM api_key_usage_days WHERE api_key_id = api_keys.id)"
    )


def _usage_rows(
    rng: random.Random, key_ids: list[int], *, calls: int, days: int, today: date
) -> list[tuple[int, date, int]]:
    if not key_ids:
        return []
    active_days = min(10, days)
    per_row, remainder = divmod(calls, len(key_ids) * active_days)
    rows: list[tuple[int, date, int]] = []
    for key_id in key_ids:
        for offset in rng.sample(range(days), active_days):
            rows.append((key_id, today - timedelta(days=offset), per_row))
    for index in range(remainder):
        key_id, day, count = rows[index]
        rows[index] = (key_id, day, count + 1)
    return rows
