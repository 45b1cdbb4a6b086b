"""An upgraded database keeps every key with its owner: the keys the previous release stored
are their creators' (the owner type's database default), work as before, and live beside
service accounts and their keys made after the upgrade."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ops.test_upgrades import PREVIOUS_RELEASE, releases, run_sql
from tests.support.documents import LIVE_LOGIN, ME_EMAIL
from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, launch, sqlite_or_postgres
from tests.support.paths import RELEASES

OWNERS = """
{
  apiKeys(first: 100) {
    nodes { name status createdBy { email } owner { __typename ... on User { email } } }
  }
}
"""
CREATE_ACCOUNT = """
mutation { createServiceAccount(input: {name: "upgraded", roles: [ADMIN]}) { id } }
"""
CREATE_KEY = """
mutation($id: ID!) {
  createApiKey(input: {name: "robot", scopes: [READ], serviceAccountId: $id}) { secret }
}
"""
KEYS_COUNT = "{ apiKeys { totalCount } }"


def graphql(base: str, query: str, token: str | None = None, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(
        f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async for url in sqlite_or_postgres(request.param, tmp_path):
        yield url


# The previous release, and the newest snapshot (the last schema before this one).
UPGRADED = sorted({RELEASES / PREVIOUS_RELEASE, releases()[-1]})


@pytest.mark.parametrize("release", UPGRADED, ids=lambda path: path.name)
async def test_an_upgraded_database_keeps_every_key_and_its_owner(
    release: Path, empty_database: str, tmp_path: Path
) -> None:
    backend = "sqlite" if empty_database.startswith("sqlite") else "postgres"
    facts = json.loads((release / "release.json").read_text())[backend]
    await run_sql(empty_database, (release / f"{backend}.sql").read_text())
    owners_before = sorted(await run_sql(empty_database, "SELECT id, created_by_id FROM api_keys"))

    server = launch(empty_database, tmp_path)
    try:
        server.wait_ready()
        token = graphql(server.base, LIVE_LOGIN, e=ADMIN_EMAIL, p=ADMIN_PASSWORD)["login"]["token"]
        old_key_owner = graphql(server.base, ME_EMAIL, facts["key_secret"])["me"]["email"]
        listed = graphql(server.base, OWNERS, token)["apiKeys"]["nodes"]
        account = graphql(server.base, CREATE_ACCOUNT, token)["createServiceAccount"]
        robot = graphql(server.base, CREATE_KEY, token, id=account["id"])["createApiKey"]
        robot_count = graphql(server.base, KEYS_COUNT, robot["secret"])["apiKeys"]["totalCount"]
    finally:
        exit_code = server.stop()
    owners_after = await run_sql(
        empty_database,
        "SELECT id, created_by_id, owner_type, service_account_id FROM api_keys ORDER BY id",
    )

    assert exit_code == 0, server.output
    assert old_key_owner == ADMIN_EMAIL
    assert {node["name"]: node["status"] for node in listed} == facts["keys"]
    for node in listed:
        assert node["owner"] == {"__typename": "User", **node["createdBy"]}
    assert robot_count == len(facts["keys"]) + 1
    old_rows = [row for row in owners_after if (row[0], row[1]) in set(owners_before)]
    assert [(key, creator) for key, creator, *_ in old_rows] == owners_before
    assert {(owner_type, account_id) for _, _, owner_type, account_id in old_rows} == {
        ("USER", None)
    }
