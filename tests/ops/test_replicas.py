"""Several hosts, one truth: two real server processes on one PostgreSQL database behave as
one — counts stay exact with a burst spread over both, and a key revoked or a session ended
through one is refused by the other at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.documents import ME_EMAIL
from tests.support.live_server import (
    ADMIN_EMAIL,
    LiveServer,
    call,
    new_key,
    session,
    two_servers,
)

BURST = 90
REVOKE = "mutation($id: ID!) { revokeKey(id: $id) { status } }"
FIGURES = "{ apiKeys { nodes { name totalCalls } } keyMetrics { apiCallsToday } }"


@pytest.fixture
def two_hosts(postgres_database: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    with two_servers(postgres_database, tmp_path) as servers:
        yield servers


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def test_a_burst_spread_over_two_hosts_is_counted_exactly(
    two_hosts: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_hosts
    secret, _ = new_key(first, session(first), "burst")

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"{(first, second)[number % 2].base}/graphql",
                        json={"query": ME_EMAIL},
                        headers={"X-API-Key": secret},
                    )
                    for number in range(BURST)
                )
            )

    answers = asyncio.run(burst())
    through_first = call(first, FIGURES, **{"X-API-Key": secret})
    through_second = call(second, FIGURES, **{"X-API-Key": secret})

    assert [answer.status_code for answer in answers] == [200] * BURST
    assert all("errors" not in answer.json() for answer in answers)
    # Each figures request is a call too, counted before it runs.
    assert through_first["data"] == {
        "apiKeys": {"nodes": [{"name": "burst", "totalCalls": BURST + 1}]},
        "keyMetrics": {"apiCallsToday": BURST + 1},
    }
    assert through_second["data"] == {
        "apiKeys": {"nodes": [{"name": "burst", "totalCalls": BURST + 2}]},
        "keyMetrics": {"apiCallsToday": BURST + 2},
    }


def test_a_key_revoked_through_one_host_is_refused_by_the_other_at_once(
    two_hosts: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_hosts
    token = session(first)
    secret, key_id = new_key(first, token, "to revoke")
    before = call(second, ME_EMAIL, **{"X-API-Key": secret})

    revoked = call(first, REVOKE, {"id": key_id}, Authorization=f"Bearer {token}")
    after = call(second, ME_EMAIL, **{"X-API-Key": secret})

    assert before["data"] == {"me": {"email": ADMIN_EMAIL}}
    assert revoked["data"] == {"revokeKey": {"status": "REVOKED"}}
    assert codes(after) == ["UNAUTHENTICATED"]


def test_a_session_ended_through_one_host_is_refused_by_the_other_at_once(
    two_hosts: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_hosts
    token = session(first)
    before = call(second, ME_EMAIL, Authorization=f"Bearer {token}")

    ended = call(first, "mutation { logout }", Authorization=f"Bearer {token}")
    after = call(second, ME_EMAIL, Authorization=f"Bearer {token}")

    assert before["data"] == {"me": {"email": ADMIN_EMAIL}}
    assert ended["data"] == {"logout": True}
    assert codes(after) == ["UNAUTHENTICATED"]
