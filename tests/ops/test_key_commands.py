"""`python -m gatehouse keys list|revoke` and `sweep-keys` as an operator runs them, on
SQLite and PostgreSQL, and webhook delivery by a live server that restarts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from schema.ids import API_KEY, USER, global_id
from tests.support.documents import LOGIN_AS_ADMIN as LOGIN
from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, serving
from tests.support.paths import ROOT
from tests.support.webhook_receiver import SECRET, Receiver

DAY = 86400
SEED = """
import asyncio, sys
from datetime import timedelta
from tortoise import Tortoise
from auth.principal import Principal
from core.clock import utcnow
from gatehouse.bootstrap import ensure_first_super_admin
from gatehouse.database import apply_migrations, tortoise_config
from core.config import Settings
from models import ApiKey, User
from resolvers import api_keys

async def main():
    settings = Settings.load(env_file=None)
    await apply_migrations(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    await ensure_first_super_admin(settings)
    owner = await User.get(email=settings.admin_email)
    for spec in sys.argv[1:]:
        name, idle_days, *prefix = spec.split(":")
        created = await api_keys.create_api_key(Principal(user=owner), name=name, scopes=["READ"])
        when = utcnow() - timedelta(days=int(idle_days))
        await ApiKey.filter(id=created.api_key.id).update(created_at=when)
        if prefix:
            await ApiKey.filter(id=created.api_key.id).update(key_prefix=prefix[0])
        print(created.api_key.id, created.secret)
    await Tortoise.close_connections()

asyncio.run(main())
"""

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def environment(database_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "64",
        "ARGON2_PARALLELISM": "1",
    }


@pytest.fixture
def run(environment: dict[str, str], tmp_path: Path) -> Run:
    def run(*args: str, **environ: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [sys.executable, *args],
            cwd=tmp_path,
            env={**environment, **environ},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run


def seed(run: Run, *keys: str) -> dict[str, tuple[str, str]]:
    """Keys as `name:days-since-creation`; returns name -> (id, secret)."""
    finished = run("-c", SEED, *keys)
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.split("\n")
    return {
        key.split(":")[0]: tuple(line.split())  # type: ignore[misc]
        for key, line in zip(keys, lines, strict=False)
    }


def gatehouse(run: Run, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return run("-m", "gatehouse", *args, **environ)


def test_keys_list_shows_every_key_masked(run: Run) -> None:
    keys = seed(run, "deploy:0", "backup:3")

    finished = gatehouse(run, "keys", "list")

    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "KEY", "STATUS", "OWNER", "LAST", "USED"]
    for name, (key_id, secret) in keys.items():
        (line,) = [line for line in lines if f" {name} " in line]
        # The id the API shows, which `keys revoke --id` takes.
        assert line.startswith(global_id(API_KEY, int(key_id)) + " ")
        assert f"{secret[:7]}…{secret[-4:]}" in line
        assert "ACTIVE" in line
        assert "owner@example.com" in line
        assert secret not in finished.stdout


def test_keys_revoke_by_masked_key_revokes_that_key_and_audits(run: Run) -> None:
    keys = seed(run, "leaked:0", "other:0")
    key_id, secret = keys["leaked"]

    finished = gatehouse(run, "keys", "revoke", "--prefix", f"{secret[:7]}…{secret[-4:]}")

    assert finished.returncode == 0, finished.stderr
    listing = gatehouse(run, "keys", "list").stdout
    assert "REVOKED" in next(line for line in listing.splitlines() if " leaked " in line)
    assert "ACTIVE" in next(line for line in listing.splitlines() if " other " in line)
    assert secret not in finished.stderr + finished.stdout
    audit = run(
        "-c",
        "import asyncio\n"
        "from tortoise import Tortoise\n"
        "from core.config import Settings\n"
        "from gatehouse.database import tortoise_config\n"
        "from models import AuditEvent\n"
        "async def main():\n"
        "    await Tortoise.init(config=tortoise_config(Settings.load().database_url))\n"
        "    for e in await AuditEvent.filter(action='api_key.revoke'):\n"
        "        print(e.actor_type, e.target_id, e.details)\n"
        "    await Tortoise.close_connections()\n"
        "asyncio.run(main())\n",
    )
    assert audit.stdout.split()[:2] == ["system", key_id]
    assert "operator" in audit.stdout


RENAME = """
import asyncio, sys
from tortoise import Tortoise
from core.config import Settings
from gatehouse.database import tortoise_config
from models import ApiKey

async def main():
    await Tortoise.init(config=tortoise_config(Settings.load(env_file=None).database_url))
    await ApiKey.filter(id=int(sys.argv[1])).update(name=sys.argv[2])
    await Tortoise.close_connections()

asyncio.run(main())
"""


def test_keys_list_and_revoke_escape_what_a_stored_name_would_do_to_a_terminal(
    run: Run,
) -> None:
    # Rows written before the input rules may hold escape sequences and bidi overrides.
    key_id, _ = seed(run, "plain:0")["plain"]
    hostile = "evil\x1b[2J\u202eyek\x07"
    renamed = run("-c", RENAME, key_id, hostile)
    assert renamed.returncode == 0, renamed.stderr

    listing = gatehouse(run, "keys", "list")
    revoked = gatehouse(run, "keys", "revoke", "--id", key_id)

    assert listing.returncode == 0, listing.stderr
    assert revoked.returncode == 0, revoked.stderr
    shown = "evil\\x1b[2J\\u202eyek\\x07"
    assert shown in listing.stdout
    assert shown in revoked.stderr
    for output in (listing.stdout, revoked.stderr):
        assert not any(character in output for character in "\x1b\u202e\x07")


def test_keys_revoke_refuses_an_ambiguous_or_unknown_prefix(run: Run) -> None:
    seed(run, "one:0:gk_Same", "two:0:gk_Same")

    ambiguous = gatehouse(run, "keys", "revoke", "--prefix", "gk_Same")
    unknown = gatehouse(run, "keys", "revoke", "--id", "999999")

    assert ambiguous.returncode == 1
    assert "ambiguous: 2 keys match" in ambiguous.stderr
    assert unknown.returncode == 1
    assert "no key matches" in unknown.stderr
    assert "Traceback" not in ambiguous.stderr + unknown.stderr
    assert "REVOKED" not in gatehouse(run, "keys", "list").stdout


def _status_of(run: Run, name: str) -> str:
    listing = gatehouse(run, "keys", "list").stdout.splitlines()
    return next(line for line in listing if f" {name} " in line).split()[3]


def test_keys_revoke_takes_the_global_id_the_api_shows_or_the_number(run: Run) -> None:
    keys = seed(run, "by-global:0", "by-number:0", "kept:0")

    by_global = gatehouse(
        run, "keys", "revoke", "--id", global_id(API_KEY, int(keys["by-global"][0]))
    )
    by_number = gatehouse(run, "keys", "revoke", "--id", keys["by-number"][0])

    assert by_global.returncode == 0, by_global.stderr
    assert by_number.returncode == 0, by_number.stderr
    assert _status_of(run, "by-global") == "REVOKED"
    assert _status_of(run, "by-number") == "REVOKED"
    assert _status_of(run, "kept") == "ACTIVE"


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (global_id(USER, 1), "is the id of a User, not of an API key"),
        ("QXBpS2V5Om5vcGU=", "is not an API key id"),  # base64 of "ApiKey:nope"
        ("not-an-id", "is not an API key id"),
        ("-1", "is not an API key id"),
    ],
    ids=["user-id", "bad-number", "garbage", "negative"],
)
def test_keys_revoke_refuses_an_id_that_names_no_key_clearly(
    run: Run, given: str, said: str
) -> None:
    # The User id 1 is the owner's: a real row, of the wrong type.
    seed(run, "kept:0")

    finished = gatehouse(run, "keys", "revoke", "--id", given)

    assert finished.returncode == 1
    assert said in finished.stderr
    assert "Traceback" not in finished.stderr
    assert _status_of(run, "kept") == "ACTIVE"


def test_sweep_keys_run_twice_at_once_revokes_each_unused_key_once(
    run: Run, environment: dict[str, str], tmp_path: Path
) -> None:
    seed(run, *(f"stale{number}:40" for number in range(6)), "fresh:5")
    environ = {"REVOKE_UNUSED_AFTER_DAYS": "30"}

    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "gatehouse", "sweep-keys"],
            env={**environment, **environ},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    revoked_lines = [
        line
        for _, stderr in outputs
        for line in stderr.splitlines()
        if "revoked unused key" in line
    ]
    assert len(revoked_lines) == 6
    listing = gatehouse(run, "keys", "list").stdout.splitlines()
    assert sum("REVOKED" in line for line in listing) == 6
    assert "ACTIVE" in next(line for line in listing if " fresh " in line)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_live_server_delivers_after_the_receiver_comes_back_and_a_restart(
    database_url: str,
) -> None:
    receiver = Receiver()
    hooks = {"WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": SECRET}
    create = 'mutation { createApiKey(input: {name: "%s", scopes: [READ]}) { apiKey { id } } }'
    try:
        # The receiver is down while the first server runs, then the server stops.
        with serving(database_url, **hooks) as base:
            token = httpx.post(f"{base}/graphql", json={"query": LOGIN % ADMIN_PASSWORD}).json()
            headers = {"Authorization": f"Bearer {token['data']['login']['token']}"}
            httpx.post(f"{base}/graphql", json={"query": create % "before"}, headers=headers)
        receiver.start()
        with serving(database_url, **hooks) as base:
            httpx.post(f"{base}/graphql", json={"query": create % "after"}, headers=headers)
            assert wait_for(lambda: len(receiver.ids()) >= 2), receiver.ids()
        events = receiver.verified_events()
    finally:
        receiver.stop()

    assert sorted(event["data"]["name"] for event in events) == ["after", "before"]  # type: ignore[index]
    assert len(set(receiver.ids())) == len(receiver.ids()) == 2


def test_several_server_processes_deliver_each_event_once(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several processes need PostgreSQL; SQLite serves one")
    receiver = Receiver()
    receiver.start()
    create = 'mutation { createApiKey(input: {name: "k%d", scopes: [READ]}) { apiKey { id } } }'
    try:
        with serving(
            database_url, WORKERS="2", WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SECRET
        ) as base:
            token = httpx.post(f"{base}/graphql", json={"query": LOGIN % ADMIN_PASSWORD}).json()
            headers = {"Authorization": f"Bearer {token['data']['login']['token']}"}
            for number in range(10):
                httpx.post(f"{base}/graphql", json={"query": create % number}, headers=headers)
            assert wait_for(lambda: len(receiver.ids()) >= 10), receiver.ids()
        events = receiver.verified_events()
    finally:
        receiver.stop()

    assert sorted(event["data"]["name"] for event in events) == [f"k{n}" for n in range(10)]  # type: ignore[index]
    assert len(set(receiver.ids())) == len(receiver.ids()) == 10
