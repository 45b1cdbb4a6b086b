"""`keyMetrics` reads counts the database keeps (models.key_tallies): after every kind of
change of a key, by whoever makes it, and as time passes, the figures are those a count of
every key gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from tortoise.connection import get_connection

from auth.principal import Principal
from core.enums import ApiKeyStatus
from models import ApiKey, KeyTally, Role, User
from resolvers import (
    api_keys,
    key_changes,
    key_sweep,
    key_switches,
    keys_admin,
    service_accounts,
    users,
)
from resolvers.metrics import ADVANCE_AFTER, KeyMetrics, key_metrics
from tests.support.factories import make_api_key, make_service_account, make_user

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2031, 5, 20, 9, 0, tzinfo=UTC)
WARNING_DAYS = 7


async def counted(now: datetime) -> KeyMetrics:
    """The figures from every key's status, the slow way."""
    keys = await ApiKey.all()
    statuses = [key.status_at(now) for key in keys]
    soon = now + timedelta(days=WARNING_DAYS)
    figures = await key_metrics(WARNING_DAYS)
    return KeyMetrics(
        total_keys=len(keys),
        active_keys=statuses.count(ApiKeyStatus.ACTIVE),
        expired_keys=statuses.count(ApiKeyStatus.EXPIRED),
        revoked_keys=statuses.count(ApiKeyStatus.REVOKED),
        api_calls_today=figures.api_calls_today,
        expiring_soon=sum(
            1
            for key in keys
            if key.revoked_at is None
            and key.expires_at is not None
            and now < key.expires_at <= soon
        ),
    )


async def assert_exact(now: datetime) -> None:
    assert await key_metrics(WARNING_DAYS) == await counted(now)


async def expired_key(owner: User, expires_at: datetime) -> ApiKey:
    """A key that expired at `expires_at` (the API takes only expiries to come)."""
    key, _ = await make_api_key(owner, expires_at=NOW + timedelta(days=1))
    await ApiKey.filter(id=key.id).update(expires_at=expires_at)
    return key


async def raw(statement: str) -> None:
    await get_connection("default").execute_script(statement)


async def test_every_writer_keeps_the_figures_exact(super_admin: User) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        actor = Principal(user=super_admin)
        admin = await make_user(roles=(Role.ADMIN,))
        account = await make_service_account(super_admin)
        plain, _ = await make_api_key(super_admin, name="plain")
        soon, _ = await make_api_key(super_admin, expires_at=NOW + timedelta(days=2))
        later, _ = await make_api_key(admin, expires_at=NOW + timedelta(days=30))
        gone_by = await expired_key(admin, NOW - timedelta(days=3))
        await make_api_key(super_admin, service_account=account)
        await assert_exact(NOW)

        await api_keys.revoke_key(actor, plain.id)
        await assert_exact(NOW)
        await key_changes.roll_key(actor, soon.id, grace_period_seconds=60, max_grace_seconds=60)
        await assert_exact(NOW)
        await key_switches.disable_key(actor, soon.id)
        await key_switches.disable_key(actor, later.id)
        await assert_exact(NOW)
        await key_switches.enable_key(actor, later.id)
        await assert_exact(NOW)

        # A disabled key that expires is EXPIRED, no longer DISABLED.
        traveller.move_to(NOW + timedelta(days=3))
        await assert_exact(NOW + timedelta(days=3))
        traveller.move_to(NOW)

        await api_keys.delete_api_key(actor, gone_by.id)
        await assert_exact(NOW)
        await service_accounts.delete_service_account(actor, account.id)
        await assert_exact(NOW)
        await users.delete_user(actor, admin.id)
        await assert_exact(NOW)

        by_cli, _ = await make_api_key(super_admin, name="leaked")
        assert await keys_admin.revoke_key(by_cli.id)
        await assert_exact(NOW)
        idle, _ = await make_api_key(super_admin, name="idle")
        await ApiKey.filter(id=idle.id).update(created_at=NOW - timedelta(days=100))
        assert [key.id for key in await key_sweep.sweep_unused_keys(90)] == [idle.id]
        await assert_exact(NOW)


async def test_statements_outside_the_api_keep_the_figures_exact(super_admin: User) -> None:
    with time_machine.travel(NOW, tick=False):
        kept, _ = await make_api_key(super_admin, expires_at=NOW + timedelta(days=1))
        await expired_key(super_admin, NOW - timedelta(days=1))
        await make_api_key(super_admin)

        # A full save writes the counted columns unchanged.
        loaded = await ApiKey.get(id=kept.id)
        loaded.name = "renamed"
        await loaded.save()
        await assert_exact(NOW)
        await raw("UPDATE api_keys SET revoked_at = created_at")
        await assert_exact(NOW)
        await raw("UPDATE api_keys SET revoked_at = NULL, disabled_at = created_at")
        await assert_exact(NOW)
        await ApiKey.filter(id=kept.id).update(expires_at=NOW - timedelta(hours=1))
        await assert_exact(NOW)
        await ApiKey.filter(id=kept.id).update(expires_at=None)
        await assert_exact(NOW)
        await raw("DELETE FROM api_keys WHERE expires_at IS NULL")
        await assert_exact(NOW)
        await raw("DELETE FROM api_keys")
        await assert_exact(NOW)
        assert await key_metrics(WARNING_DAYS) == KeyMetrics(0, 0, 0, 0, 0, 0)


async def test_time_passing_is_counted_exactly_and_moves_the_mark(super_admin: User) -> None:
    mark_before = (await KeyTally.get(id=1)).expired_before
    start = max(NOW, mark_before + timedelta(days=1))
    with time_machine.travel(start, tick=False) as traveller:
        keys = [
            (await make_api_key(super_admin, expires_at=start + timedelta(hours=hour)))[0]
            for hour in range(1, 3 * ADVANCE_AFTER + 1)
        ]
        await key_switches.disable_key(Principal(user=super_admin), keys[0].id)
        for hours in (0, 1, ADVANCE_AFTER // 2, ADVANCE_AFTER + 1, 2 * ADVANCE_AFTER + 5):
            traveller.move_to(start + timedelta(hours=hours))
            await assert_exact(start + timedelta(hours=hours))
        mark = (await KeyTally.get(id=1)).expired_before
        assert mark > start, "the read moves the mark once enough keys expired past it"

        # Keys tallied as expired are changed and deleted after the mark passed them.
        await api_keys.revoke_key(Principal(user=super_admin), keys[1].id)
        await ApiKey.filter(id=keys[2].id).update(expires_at=start + timedelta(days=400))
        await ApiKey.filter(id=keys[3].id).delete()
        await assert_exact(start + timedelta(hours=2 * ADVANCE_AFTER + 5))

        # A clock behind the mark (another host's, or time travel) still reads exactly.
        for hours in (ADVANCE_AFTER, 0, -5):
            traveller.move_to(start + timedelta(hours=hours))
            await assert_exact(start + timedelta(hours=hours))
            assert (await KeyTally.get(id=1)).expired_before == mark, "the mark never goes back"
