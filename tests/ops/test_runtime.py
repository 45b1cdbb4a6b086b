"""One runtime per process, built from the settings: its parts follow the settings' groups,
the app serves with the runtime it was given, and gatehouse/ reaches the database only
through resolvers/."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import httpx
from limits.aio.storage import RedisStorage
from starlette.datastructures import Secret

from auth.rate_limits import DatabaseStorage
from auth.runtime import build_runtime, current, running
from core.config import Settings
from gatehouse.app import create_app
from models import ApiKey
from tests.support.database import SETTINGS
from tests.support.factories import make_api_key, make_user
from tests.support.paths import ROOT

WEBHOOK_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"


def test_the_settings_groups_hold_the_values_read_from_the_environment() -> None:
    settings = Settings.load(
        {
            "ARGON2_TIME_COST": "2",
            "PASSWORD_HASH_CONCURRENCY": "3",
            "PASSWORD_HASH_QUEUE_SECONDS": "1.5",
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": "4",
            "LOGIN_LOCK_SECONDS": "60",
            "MAX_QUERY_DEPTH": "9",
            "MAX_CONNECTIONS_PER_ADDRESS": "7",
            "WEBHOOK_URL": "https://hooks.example.com/in",
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
        },
        env_file=None,
    )

    assert (settings.argon2.time_cost, settings.argon2.concurrency) == (2, 3)
    assert settings.argon2.queue_seconds == 1.5
    assert settings.login_policy.max_failures_per_account == 4
    assert settings.login_policy.lock_seconds == 60
    # An attempt waits for one in flight as long as for an Argon2 slot.
    assert settings.login_policy.wait_seconds == 1.5
    assert settings.query_limits.max_depth == 9
    assert settings.connections.max_per_address == 7
    assert settings.webhooks.enabled
    assert settings.limiter.redis_url is None


async def test_a_runtime_is_made_of_the_settings_parts() -> None:
    settings = replace(
        SETTINGS,
        password_hash_concurrency=2,
        login_max_failures_per_account=3,
        webhook_url="https://hooks.example.com/in",
        webhook_secret=Secret(WEBHOOK_SECRET),
    )

    async with running(settings) as runtime:
        assert current() is runtime
        assert runtime.passwords.stats().size == 2
        assert runtime.login_policy.max_failures_per_account == 3
        assert runtime.outbox.enabled
        assert isinstance(runtime.limiter.storage, DatabaseStorage)
        assert runtime.throttle.storage is runtime.limiter.storage
        stored = await runtime.passwords.hash("a long enough password")
        assert (await runtime.passwords.verify(stored, "a long enough password")).ok

    redis_runtime = build_runtime(replace(SETTINGS, redis_url=Secret("redis://127.0.0.1:6379/0")))
    assert isinstance(redis_runtime.limiter.storage, RedisStorage)
    assert not redis_runtime.outbox.enabled
    await redis_runtime.close()  # nothing was connected: closing costs nothing


async def test_the_app_counts_key_calls_with_the_runtime_it_was_given(db: None) -> None:
    runtime = build_runtime(SETTINGS)
    app = create_app(SETTINGS, manage_database=False, runtime=runtime)
    owner = await make_user()
    key, secret = await make_api_key(owner)
    transport = httpx.ASGITransport(app=app)

    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            "/graphql", json={"query": "{ me { email } }"}, headers={"X-API-Key": secret}
        )

    assert response.json() == {"data": {"me": {"email": owner.email}}}
    assert current() is runtime
    await key.refresh_from_db()
    assert key.total_calls == 1
    assert (await ApiKey.get(id=key.id)).last_used_at is not None


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and not node.level:
            modules.add(node.module)
    return modules


def test_gatehouse_reaches_the_database_only_through_resolvers_and_auth() -> None:
    # gatehouse/database.py sets Tortoise up and runs migrations: it names the models
    # package in the ORM's configuration but imports none of it.
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            module
            for module in _imported_modules(path)
            if module == "models" or module.startswith("models.")
        )
        for path in sorted((ROOT / "gatehouse").glob("*.py"))
    }

    assert {path: found for path, found in offenders.items() if found} == {}


def test_only_the_runtime_configures_the_process_state() -> None:
    # The setters of old, one per part, are gone: build_runtime is the one way in.
    calls = {
        str(path.relative_to(ROOT))
        for folder in ("gatehouse", "auth", "resolvers", "schema", "models")
        for path in (ROOT / folder).rglob("*.py")
        if "configure_outbox(" in path.read_text(encoding="utf-8")
        or "passwords.configure(" in path.read_text(encoding="utf-8")
        or "throttle.configure(" in path.read_text(encoding="utf-8")
        or "rate_limits.configure(" in path.read_text(encoding="utf-8")
    }

    assert calls == set()
