"""Calling `POST /v1/keys/verify` and `verifyApiKey` the way another backend would."""

from __future__ import annotations

from typing import Any

import httpx

VERIFY_PATH = "/v1/keys/verify"

VERIFY_API_KEY = """mutation Verify($input: VerifyKeyInput!) {
  verifyApiKey(input: $input) {
    valid code keyId name owner { type id name } scopes permissions expiresAt
    ratelimit { limit remaining resetAt } remaining
  }
}"""
DISABLE_KEY = "mutation($id: ID!) { disableKey(id: $id) { id status } }"
ENABLE_KEY = "mutation($id: ID!) { enableKey(id: $id) { id status } }"


async def verify(client: httpx.AsyncClient, root_secret: str | None, **body: Any) -> httpx.Response:
    headers = {} if root_secret is None else {"Authorization": f"Bearer {root_secret}"}
    return await client.post(VERIFY_PATH, json=body, headers=headers)


async def verdict(client: httpx.AsyncClient, root_secret: str, **body: Any) -> dict[str, Any]:
    """The answer's JSON, after checking it is a 200 as every well-formed request gets."""
    response = await verify(client, root_secret, **body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer
