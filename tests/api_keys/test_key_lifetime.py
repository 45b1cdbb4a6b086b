"""Lifetime policy: the cap on new keys, expiringSoon, the expiring filter, and the sweep."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from httpx import AsyncClient

from auth.runtime import current
from core.errors import ErrorCode, GatehouseError
from gatehouse.app import create_app
from models import ApiKey, AuditEvent, Role, WebhookEvent
from resolvers import key_sweep
from tests.support.database import SETTINGS, column
from tests.support.factories import make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CREATE = """
mutation Create($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }
"""
EXPIRING = """
query Expiring($days: Int) {
  apiKeys(filter: {expiringWithinDays: $days}) { totalCount nodes { name } }
  keyMetrics { expiringSoon activeKeys }
}
"""


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
async def capped_client(db: None) -> AsyncIterator[AsyncClient]:
    app = create_app(replace(SETTINGS, max_key_lifetime_days=30), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def outbox() -> Iterator[None]:
    current().outbox.enabled = True
    yield
    current().outbox.enabled = False


@pytest.mark.parametrize("expires_at", [None, "2026-07-01T12:00:01+00:00"], ids=["never", "31d"])
async def test_lifetime_cap_refuses_keys_without_expiry_or_past_it(
    capped_client: AsyncClient, clock: time_machine.Traveller, expires_at: str | None
) -> None:
    token = await login(capped_client, await make_user(roles=(Role.ADMIN,)))

    body = await graphql(
        capped_client,
        CREATE,
        {"input": {"name": "long", "scopes": ["READ"], "expiresAt": expires_at}},
        token=token,
    )

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "30 days" in body["errors"][0]["message"]
    assert "MAX_KEY_LIFETIME_DAYS" in body["errors"][0]["message"]
    assert not await ApiKey.exists(name="long")


async def test_lifetime_cap_accepts_a_key_within_it(
    capped_client: AsyncClient, clock: time_machine.Traveller
) -> None:
    token = await login(capped_client, await make_user(roles=(Role.ADMIN,)))

    body = await graphql(
        capped_client,
        CREATE,
        {"input": {"name": "ok", "scopes": ["READ"], "expiresAt": "2026-07-01T12:00:00Z"}},
        token=token,
    )

    assert "errors" not in body


async def test_without_a_cap_keys_may_live_forever(client: AsyncClient) -> None:
    token = await login(client, await make_user(roles=(Role.ADMIN,)))

    body = await graphql(client, CREATE, {"input": {"name": "x", "scopes": ["READ"]}}, token=token)

    assert "errors" not in body


async def test_expiring_soon_and_the_filter_count_active_keys_in_the_window(
    client: AsyncClient, clock: time_machine.Traveller
) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    token = await login(client, owner)
    for name, days in [("in 1 day", 1), ("in 7 days", 7), ("in 8 days", 8), ("in 30 days", 30)]:
        await make_api_key(owner, name=name, expires_at=NOW + timedelta(days=days))
    await make_api_key(owner, name="never")
    revoked, _ = await make_api_key(owner, name="revoked", expires_at=NOW + timedelta(days=2))
    await ApiKey.filter(id=revoked.id).update(revoked_at=NOW)
    clock.shift(timedelta(hours=1))

    body = await graphql(client, EXPIRING, {"days": 10}, token=token)

    assert body["data"]["keyMetrics"] == {"expiringSoon": 2, "activeKeys": 5}
    names = {node["name"] for node in body["data"]["apiKeys"]["nodes"]}
    assert names == {"in 1 day", "in 7 days", "in 8 days"}


@pytest.mark.parametrize("days", [0, 3651])
async def test_expiring_within_days_outside_its_range_is_bad_input(
    client: AsyncClient, days: int
) -> None:
    token = await login(client, await make_user(roles=(Role.ADMIN,)))

    body = await graphql(client, EXPIRING, {"days": days}, token=token)

    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_expiry_warning_days_sets_the_expiring_soon_window(db: None) -> None:
    app = create_app(replace(SETTINGS, expiry_warning_days=10), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = await make_user(roles=(Role.ADMIN,))
        token = await login(client, owner)
        with time_machine.travel(NOW, tick=False):
            await make_api_key(owner, expires_at=NOW + timedelta(days=9))
            body = await graphql(client, "{ keyMetrics { expiringSoon } }", token=token)

    assert body["data"]["keyMetrics"]["expiringSoon"] == 1


async def test_sweep_revokes_keys_unused_for_the_set_days_and_audits_each(
    db: None, outbox: None, clock: time_machine.Traveller
) -> None:
    owner = await make_user()
    never_used_old, _ = await make_api_key(owner, name="never used, old")
    used_long_ago, _ = await make_api_key(owner, name="used long ago")
    clock.shift(timedelta(days=50))
    await ApiKey.filter(id=used_long_ago.id).update(last_used_at=NOW + timedelta(days=1))
    used_recently, _ = await make_api_key(owner, name="used recently")
    await ApiKey.filter(id=used_recently.id).update(last_used_at=NOW - timedelta(days=100))
    await ApiKey.filter(id=used_recently.id).update(last_used_at=NOW + timedelta(days=45))
    never_used_new, _ = await make_api_key(owner, name="never used, new")
    clock.shift(timedelta(days=1))

    report = await key_sweep.sweep(unused_days=30, warning_days=7)

    assert {key.name for key in report.revoked} == {"never used, old", "used long ago"}
    revoked = set(
        await column(ApiKey.filter(revoked_at__isnull=False).values_list("name", flat=True))
    )
    assert revoked == {"never used, old", "used long ago"}
    events = await AuditEvent.filter(action="api_key.revoke").order_by("target_id")
    assert [(event.actor_type, event.target_id) for event in events] == [
        ("system", never_used_old.id),
        ("system", used_long_ago.id),
    ]
    assert await WebhookEvent.filter(type="key.revoked").count() == 2
    assert never_used_new.id not in {event.target_id for event in events}


async def test_sweeps_running_at_once_revoke_and_report_each_key_once(
    db: None, outbox: None, clock: time_machine.Traveller
) -> None:
    owner = await make_user()
    for number in range(5):
        await make_api_key(owner, name=f"stale {number}")
    clock.shift(timedelta(days=31))

    reports = await asyncio.gather(
        *(key_sweep.sweep(unused_days=30, warning_days=7) for _ in range(3))
    )

    assert sum(len(report.revoked) for report in reports) == 5
    assert await ApiKey.filter(revoked_at__isnull=True).count() == 0
    assert await AuditEvent.filter(action="api_key.revoke").count() == 5
    assert await WebhookEvent.filter(type="key.revoked").count() == 5


async def test_sweep_without_a_setting_revokes_nothing(
    db: None, clock: time_machine.Traveller
) -> None:
    await make_api_key(await make_user())
    clock.shift(timedelta(days=3000))

    report = await key_sweep.sweep(unused_days=None, warning_days=7)

    assert report.revoked == []
    assert await ApiKey.filter(revoked_at__isnull=True).count() == 1


async def test_expiry_events_are_queued_once_per_key_and_window(
    db: None, outbox: None, clock: time_machine.Traveller
) -> None:
    owner = await make_user()
    soon, _ = await make_api_key(owner, name="soon", expires_at=NOW + timedelta(days=3))
    later, _ = await make_api_key(owner, name="later", expires_at=NOW + timedelta(days=20))

    first = await asyncio.gather(*(key_sweep.enqueue_expiry_events(7) for _ in range(3)))
    again = await key_sweep.enqueue_expiry_events(7)
    clock.shift(timedelta(days=4))
    after_expiry = await key_sweep.enqueue_expiry_events(7)
    clock.shift(timedelta(days=10))
    later_warned = await key_sweep.enqueue_expiry_events(7)

    assert sum(first) >= 1
    assert again == 0
    assert after_expiry == 1
    assert later_warned == 1
    events = (
        await WebhookEvent.exclude(type="key.created").order_by("id").values_list("type", "payload")
    )
    assert [(kind, payload["data"]["name"]) for kind, payload in events] == [
        ("key.expiring", "soon"),
        ("key.expired", "soon"),
        ("key.expiring", "later"),
    ]
    assert events[1][1]["data"]["status"] == "EXPIRED"
    assert later.id != soon.id


async def test_no_expiry_events_while_webhooks_are_off(
    db: None, clock: time_machine.Traveller
) -> None:
    await make_api_key(await make_user(), expires_at=NOW + timedelta(days=1))

    assert await key_sweep.enqueue_expiry_events(7) == 0
    assert await WebhookEvent.all().count() == 0


@pytest.mark.parametrize("form", ["masked", "masked-ascii", "prefix", "whole key"])
async def test_operator_finds_a_key_by_what_was_leaked(db: None, form: str) -> None:
    owner = await make_user()
    key, secret = await make_api_key(owner, name="leaked")
    await make_api_key(owner, name="other")
    given = {
        "masked": f"{secret[:7]}…{secret[-4:]}",
        "masked-ascii": f"{secret[:7]}...{secret[-4:]}",
        "prefix": secret[:7],
        "whole key": secret,
    }[form]

    found = await key_sweep.find_keys_by_mask(given)

    assert [match.id for match in found] == [key.id]


@pytest.mark.parametrize("given", ["gk_", "…abcd", "gk_Ab12…"])
async def test_operator_must_give_enough_of_the_key(db: None, given: str) -> None:
    with pytest.raises(GatehouseError) as refused:
        await key_sweep.find_keys_by_mask(given)

    assert refused.value.code == ErrorCode.BAD_USER_INPUT


async def test_operator_revocation_is_audited_once_and_announced(db: None, outbox: None) -> None:
    key, _ = await make_api_key(await make_user())

    first = await key_sweep.revoke_by_system(key, {"reason": "operator", "via": "cli"})
    second = await key_sweep.revoke_by_system(key, {"reason": "operator", "via": "cli"})

    assert (first, second) == (True, False)
    event = await AuditEvent.get(action="api_key.revoke")
    assert (event.actor_type, event.actor_id, event.target_id) == ("system", None, key.id)
    assert event.details == {"reason": "operator", "via": "cli"}
    assert await WebhookEvent.filter(type="key.revoked").count() == 1


async def test_keys_long_expired_are_not_announced(db: None, outbox: None) -> None:
    with time_machine.travel(NOW - timedelta(days=60), tick=False):
        await make_api_key(await make_user(), expires_at=NOW - timedelta(days=31))

    with time_machine.travel(NOW, tick=False):
        assert await key_sweep.enqueue_expiry_events(7) == 0


async def test_sweep_prunes_old_delivered_events_but_keeps_expiry_records(
    db: None, outbox: None, clock: time_machine.Traveller
) -> None:
    owner = await make_user()
    await make_api_key(owner, name="announced")
    await make_api_key(owner, name="warned", expires_at=NOW + timedelta(days=3))
    await key_sweep.enqueue_expiry_events(7)
    await WebhookEvent.all().update(delivered_at=NOW)
    await make_api_key(owner, name="pending")
    clock.shift(timedelta(days=31))

    report = await key_sweep.sweep(unused_days=None, warning_days=7)

    assert report.pruned_events == 2
    remaining = await column(WebhookEvent.all().order_by("id").values_list("type", flat=True))
    assert list(remaining) == ["key.expiring", "key.created", "key.expired"]
