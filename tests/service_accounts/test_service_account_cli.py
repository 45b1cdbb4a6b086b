"""`gatehouse keys list` names a service account's key's owner: the account, or that it was
deleted, never the user who made the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cli import Gatehouse

SEED = """
import asyncio
from tortoise import Tortoise
from auth.principal import Principal
from core.config import Settings
from gatehouse.database import apply_migrations, tortoise_config
from models import Role
from resolvers import api_keys, service_accounts, users

async def main():
    settings = Settings.load(env_file=None)
    await apply_migrations(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    root = await users.create_user(None, email="root@example.com", display_name="Root",
                                   password="correct horse battery staple",
                                   roles=[Role.SUPER_ADMIN])
    actor = Principal(user=root)
    kept = await service_accounts.create_service_account(
        actor, name="nightly backup", description=None, roles=[Role.ADMIN])
    gone = await service_accounts.create_service_account(
        actor, name="retired", description=None, roles=[Role.ADMIN])
    for name, account in (("backup", kept), ("old", gone), ("mine", None)):
        await api_keys.create_api_key(actor, name=name, scopes=["READ"],
            service_account_id=account.id if account else None)
    await service_accounts.delete_service_account(actor, gone.id)
    await Tortoise.close_connections()

asyncio.run(main())
"""


def test_keys_list_names_a_service_account_owner(tmp_path: Path) -> None:
    gatehouse = Gatehouse.on_sqlite(tmp_path, tmp_path / "gatehouse.sqlite3")
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", SEED],
        cwd=tmp_path,
        env=gatehouse.environ,
        check=True,
        capture_output=True,
        timeout=60,
    )

    listed = gatehouse("keys", "list")

    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[1]: line for line in listed.stdout.splitlines()[1:]}
    assert "nightly backup (service account)" in lines["backup"]
    assert "(deleted service account)" in lines["old"]
    assert "root@example.com" in lines["mine"]
