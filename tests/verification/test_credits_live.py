"""Credits exact across processes: two live servers on one PostgreSQL database, 80
verifications of a key with 50 credits at once, spread over both: exactly 50 VALID (a key
with credits is never cached). How a change made on one process reaches the other's key
cache is in test_cache_live.py."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.support.live_server import LiveServer, call, session

CREATE = """mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id } }
}"""


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
