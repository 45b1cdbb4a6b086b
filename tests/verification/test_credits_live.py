"""Credits exact across processes: two live servers on one PostgreSQL database, 80
verifications of a key with 50 credits at once, spread over both: exactly 50 VALID. And a
disable made on one process holds on the other at its next request (nothing is cached)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer, call, launch, session

CREATE = """mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id } }
}"""
DISABLE = "mutation($id: ID!) { disableKey(id: $id) { status } }"


@pytest.fixture
def two_processes(
    postgres_database: str, tmp_path: Path
) -> Iterator[tuple[LiveServer, LiveServer]]:
    first, second = launch(postgres_database, tmp_path), launch(postgres_database, tmp_path)
    try:
        first.wait_ready()
        second.wait_ready()
        yield first, second
    finally:
        codes = [first.stop(), second.stop()]
        assert codes == [0, 0], first.output + second.output


def _create(server: LiveServer, token: str, **fields: Any) -> tuple[str, str]:
    body = call(server, CREATE, {"input": fields}, Authorization=f"Bearer {token}")
    created = body["data"]["createApiKey"]
    return created["secret"], created["apiKey"]["id"]


async def _verify_many(
    servers: tuple[LiveServer, ...], root: str, secret: str, count: int
) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=60) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{servers[number % len(servers)].base}/v1/keys/verify",
                    json={"key": secret, "operation": "burst"},
                    headers={"Authorization": f"Bearer {root}"},
                )
                for number in range(count)
            )
        )
    assert {response.status_code for response in responses} == {200}
    return [response.json() for response in responses]


def test_eighty_verifications_over_two_processes_give_exactly_fifty_valid(
    two_processes: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_processes
    token = session(first)
    root, _ = _create(first, token, name="root", scopes=["VERIFY"])
    secret, _ = _create(first, token, name="metered", scopes=["READ"], remaining=50)

    answers = asyncio.run(_verify_many((first, second), root, secret, 80))

    codes = [answer["code"] for answer in answers]
    assert (codes.count("VALID"), codes.count("USAGE_EXCEEDED")) == (50, 30)
    figures = call(
        second,
        "{ apiKeys { nodes { name remaining totalCalls } } }",
        Authorization=f"Bearer {token}",
    )
    metered = next(
        node for node in figures["data"]["apiKeys"]["nodes"] if node["name"] == "metered"
    )
    assert (metered["remaining"], metered["totalCalls"]) == (0, 50)


def test_a_disable_on_one_process_holds_on_the_other_at_once(
    two_processes: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_processes
    token = session(first)
    root, _ = _create(first, token, name="root", scopes=["VERIFY"])
    secret, key_id = _create(first, token, name="target", scopes=["READ"])
    assert asyncio.run(_verify_many((second,), root, secret, 1))[0]["code"] == "VALID"

    call(first, DISABLE, {"id": key_id}, Authorization=f"Bearer {token}")

    assert asyncio.run(_verify_many((second,), root, secret, 1))[0]["code"] == "DISABLED"
