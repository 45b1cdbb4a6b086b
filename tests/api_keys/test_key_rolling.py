"""rollKey: a new secret for the same key, the old one alive only for the grace period."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from httpx import AsyncClient

from auth.runtime import current
from gatehouse.app import create_app
from models import ApiKey, AuditEvent, Role, User, WebhookEvent
from tests.support.database import SETTINGS
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ROLL = """
mutation Roll($id: ID!, $grace: Int) {
  rollKey(id: $id, gracePeriodSeconds: $grace) {
    secret
    apiKey { id name scopes maskedKey totalCalls rolledAt previousSecretExpiresAt status }
  }
}
"""
WHO = "{ currentApiKey { id totalCalls } }"


async def roll(
    client: AsyncClient, token: str, key: ApiKey, grace: int | None = None
) -> dict[str, Any]:
    variables: dict[str, object] = {"id": gid(key)}
    if grace is not None:
        variables["grace"] = grace
    return await graphql(client, ROLL, variables, token=token)


async def calls_with(client: AsyncClient, secret: str) -> dict[str, Any]:
    return await graphql(client, WHO, headers={"X-API-Key": secret})


async def test_rolled_key_keeps_its_record_and_gets_a_new_secret(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    key, old_secret = await make_api_key(owner, name="deploy")
    await calls_with(client, old_secret)

    with time_machine.travel(NOW, tick=False):
        body = await roll(client, admin_token, key)

    rolled = body["data"]["rollKey"]
    new_secret = rolled["secret"]
    assert new_secret != old_secret
    assert new_secret.startswith("gk_")
    assert rolled["apiKey"]["id"] == gid(key)
    assert rolled["apiKey"]["name"] == "deploy"
    assert rolled["apiKey"]["scopes"] == ["READ"]
    assert rolled["apiKey"]["totalCalls"] == 1
    assert rolled["apiKey"]["maskedKey"] == f"{new_secret[:7]}…{new_secret[-4:]}"
    assert rolled["apiKey"]["rolledAt"] == "2026-06-01T12:00:00+00:00"
    assert rolled["apiKey"]["previousSecretExpiresAt"] is None
    stored = await ApiKey.get(id=key.id)
    assert new_secret not in (stored.key_hash, stored.previous_key_hash)
    # Grace 0: the old secret ends at once; the new one counts on the same key.
    assert error_codes(await calls_with(client, old_secret)) == ["UNAUTHENTICATED"]
    assert (await calls_with(client, new_secret))["data"]["currentApiKey"] == {
        "id": gid(key),
        "totalCalls": 2,
    }


async def test_old_secret_works_for_the_grace_period_only_and_counts_on_the_same_key(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    key, old_secret = await make_api_key(owner)

    with time_machine.travel(NOW, tick=False) as clock:
        body = await roll(client, admin_token, key, grace=3600)
        new_secret = body["data"]["rollKey"]["secret"]
        assert body["data"]["rollKey"]["apiKey"]["previousSecretExpiresAt"] == (
            "2026-06-01T13:00:00+00:00"
        )

        clock.shift(timedelta(minutes=59))
        assert "errors" not in await calls_with(client, old_secret)
        assert "errors" not in await calls_with(client, new_secret)

        clock.shift(timedelta(minutes=1))
        assert error_codes(await calls_with(client, old_secret)) == ["UNAUTHENTICATED"]
        assert "errors" not in await calls_with(client, new_secret)

    assert (await ApiKey.get(id=key.id)).total_calls == 3


async def test_rolling_again_ends_the_older_secret(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    key, first = await make_api_key(owner)
    second = (await roll(client, admin_token, key, grace=600))["data"]["rollKey"]["secret"]
    third = (await roll(client, admin_token, key, grace=600))["data"]["rollKey"]["secret"]

    assert error_codes(await calls_with(client, first)) == ["UNAUTHENTICATED"]
    assert "errors" not in await calls_with(client, second)
    assert "errors" not in await calls_with(client, third)


async def test_grace_period_never_outlives_the_key(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        key, _ = await make_api_key(owner, expires_at=NOW + timedelta(minutes=10))
        body = await roll(client, admin_token, key, grace=3600)

    assert body["data"]["rollKey"]["apiKey"]["previousSecretExpiresAt"] == (
        "2026-06-01T12:10:00+00:00"
    )


@pytest.mark.parametrize("grace", [-1, 604_801])
async def test_grace_period_outside_zero_to_the_cap_is_bad_input(
    client: AsyncClient, owner: User, admin_token: str, grace: int
) -> None:
    key, secret = await make_api_key(owner)

    body = await roll(client, admin_token, key, grace=grace)

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "errors" not in await calls_with(client, secret)
    assert (await ApiKey.get(id=key.id)).rolled_at is None


async def test_the_grace_cap_is_max_roll_grace_seconds(db: None) -> None:
    app = create_app(replace(SETTINGS, max_roll_grace_seconds=60), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = await make_user(roles=(Role.SUPER_ADMIN,))
        token = await login(client, owner)
        key, _ = await make_api_key(owner)

        refused = await roll(client, token, key, grace=61)
        accepted = await roll(client, token, key, grace=60)

    assert error_codes(refused) == ["BAD_USER_INPUT"]
    assert "MAX_ROLL_GRACE_SECONDS" in refused["errors"][0]["message"]
    assert "errors" not in accepted


async def test_revoked_and_expired_keys_cannot_be_rolled(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    revoked, _ = await make_api_key(owner, name="revoked")
    await ApiKey.filter(id=revoked.id).update(revoked_at=NOW - timedelta(days=1))
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        expired, _ = await make_api_key(owner, name="expired", expires_at=NOW - timedelta(days=1))

    with time_machine.travel(NOW, tick=False):
        refusals = [await roll(client, admin_token, key) for key in (revoked, expired)]

    assert [error_codes(body) for body in refusals] == [["CONFLICT"], ["CONFLICT"]]
    assert all(body["data"] is None for body in refusals)
    assert await ApiKey.filter(rolled_at__isnull=False).count() == 0


async def test_rolling_an_unknown_key_is_not_found(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    body = await graphql(client, ROLL, {"id": "987654"}, token=admin_token)

    assert error_codes(body) == ["NOT_FOUND"]


async def test_roll_is_audited_and_announced_without_the_secret(
    client: AsyncClient, owner: User, admin_token: str
) -> None:
    key, old_secret = await make_api_key(owner)
    current().outbox.enabled = True
    try:
        body = await roll(client, admin_token, key, grace=30)
    finally:
        current().outbox.enabled = False
    new_secret = body["data"]["rollKey"]["secret"]

    event = await AuditEvent.get(action="api_key.roll")
    assert (event.target_type, event.target_id, event.outcome) == ("api_key", key.id, "OK")
    assert event.details is not None
    assert event.details["gracePeriodSeconds"] == 30
    webhook = await WebhookEvent.get(type="key.rolled")
    assert webhook.payload["data"]["id"] == gid(key)
    stored = await ApiKey.get(id=key.id)
    for text in (str(event.details), str(webhook.payload)):
        for secret in (old_secret, new_secret, stored.key_hash, str(stored.previous_key_hash)):
            assert secret not in text
