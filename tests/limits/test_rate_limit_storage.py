"""The two storages behind the limiter keep one semantics: a fixed window that opens at its
first hit, counted atomically; the database's is checked against Redis's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from limits.aio.storage import Storage
from starlette.datastructures import Secret

from auth.rate_limits import DatabaseStorage, build_storage, close_storage, now
from core.config import Settings
from models import ApiKey, RateLimitCounter, Role
from tests.support.database import column
from tests.support.documents import LOGIN_TOKEN
from tests.support.factories import PASSWORD, make_api_key, make_user
from tests.support.limiter import (
    REDIS_URL,
    app_client,
    code_of,
    forget_redis_prefix,
    post,
    require_redis,
    unique_redis_prefix,
)
from tests.support.live_server import free_port

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["database", "redis"])
async def storage(request: pytest.FixtureRequest, db: None) -> AsyncIterator[Storage]:
    if request.param == "database":
        yield DatabaseStorage()
        return
    require_redis()
    prefix = unique_redis_prefix()
    redis_storage = build_storage(Settings(redis_url=Secret(REDIS_URL), redis_key_prefix=prefix))
    yield redis_storage
    await close_storage(redis_storage)
    forget_redis_prefix(prefix)


async def test_hits_count_up_within_one_window(storage: Storage) -> None:
    counts = [await storage.incr("bucket", 60) for _ in range(3)]

    assert counts == [1, 2, 3]
    assert await storage.get("bucket") == 3
    assert now() < await storage.get_expiry("bucket") <= now() + 60


async def test_a_hit_never_moves_the_end_of_its_window(storage: Storage) -> None:
    await storage.incr("bucket", 60)
    first_expiry = await storage.get_expiry("bucket")
    await storage.incr("bucket", 3600)

    assert await storage.get_expiry("bucket") <= first_expiry + 1


async def test_buckets_are_counted_apart_and_cleared_alone(storage: Storage) -> None:
    await storage.incr("one", 60, amount=5)
    await storage.incr("two", 60)
    await storage.clear("one")

    assert await storage.get("one") == 0
    assert await storage.get("two") == 1
    assert await storage.incr("one", 60) == 1


async def test_an_amount_may_be_taken_back(storage: Storage) -> None:
    await storage.incr("bucket", 60, amount=3)

    assert await storage.incr("bucket", 60, amount=-1) == 2


async def test_concurrent_hits_are_never_lost(storage: Storage) -> None:
    counts = await asyncio.gather(*(storage.incr("bucket", 60) for _ in range(25)))

    assert sorted(counts) == list(range(1, 26))
    assert await storage.get("bucket") == 25


async def test_an_unknown_bucket_is_empty(storage: Storage) -> None:
    assert await storage.get("never") == 0
    assert await storage.check()


async def test_a_database_window_starts_again_once_it_has_ended(db: None) -> None:
    storage = DatabaseStorage()
    with time_machine.travel(NOW, tick=False) as traveller:
        await storage.incr("bucket", 60, amount=4)
        traveller.shift(timedelta(seconds=59))
        in_window = await storage.get("bucket")
        traveller.shift(timedelta(seconds=1))
        after_window = await storage.get("bucket")
        restarted = await storage.incr("bucket", 60)
        new_expiry = await storage.get_expiry("bucket")
        swept = await storage.prune()

    assert (in_window, after_window, restarted) == (4, 0, 1)
    assert new_expiry == NOW.timestamp() + 120
    assert swept == 0
    assert await RateLimitCounter.filter(bucket="bucket").count() == 1


async def test_ended_database_windows_are_swept(db: None) -> None:
    storage = DatabaseStorage()
    with time_machine.travel(NOW, tick=False) as traveller:
        await storage.incr("old", 60)
        await storage.incr("live", 3600)
        traveller.shift(timedelta(minutes=5))
        swept = await storage.prune()

    assert swept == 1
    assert await column(RateLimitCounter.all().values_list("bucket", flat=True)) == ["live"]


async def test_with_redis_down_sign_in_fails_closed_and_the_server_stays_ready(
    db: None,
) -> None:
    user = await make_user()
    down = Secret(f"redis://127.0.0.1:{free_port()}/0")
    async with app_client(redis_url=down, redis_key_prefix=unique_redis_prefix()) as client:
        ready = await client.get("/readyz")
        response = await post(client, LOGIN_TOKEN, {"email": user.email, "password": PASSWORD})
        answer = response.json()

    # Every replica shares the Redis: unready, they would all leave the load balancer at
    # once, key calls (which do not need Redis) included.
    assert ready.status_code == 200
    # An unreachable store is an outage, answered like the database's: 503, retry later.
    assert response.status_code == 503
    assert code_of(answer) == "INTERNAL"
    assert "redis" not in str(answer).lower()


async def test_with_redis_down_and_required_for_readiness_the_server_is_unready(
    db: None,
) -> None:
    down = Secret(f"redis://127.0.0.1:{free_port()}/0")
    async with app_client(
        redis_url=down, redis_key_prefix=unique_redis_prefix(), readiness_requires_redis=True
    ) as client:
        ready = await client.get("/readyz")

    assert ready.status_code == 503


async def test_with_redis_down_key_calls_work_and_keep_their_limit_in_the_database(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    api_key, secret = await make_api_key(owner)
    await ApiKey.filter(id=api_key.id).update(rate_limit_per_minute=2)
    down = Secret(f"redis://127.0.0.1:{free_port()}/0")
    async with app_client(redis_url=down, redis_key_prefix=unique_redis_prefix()) as client:
        answers = [
            await post(client, "{ me { id } }", headers={"X-API-Key": secret}) for _ in range(3)
        ]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert "errors" not in answers[0].json()
    assert code_of(answers[2].json()) == "RATE_LIMITED"
    assert await RateLimitCounter.filter(bucket__contains="api-key").count() == 1
    # One line for the outage, not one per call.
    assert caplog.text.count("key rate limits are counted in the database") == 1


async def test_with_redis_up_the_server_is_ready(db: None) -> None:
    require_redis()
    prefix = unique_redis_prefix()
    async with app_client(redis_url=Secret(REDIS_URL), redis_key_prefix=prefix) as client:
        ready = await client.get("/readyz")
    forget_redis_prefix(prefix)

    assert ready.status_code == 200
