"""A subscription's document is checked as any request's: the query limits, and with
TRUSTED_DOCUMENTS only the manifest's documents, over WebSocket and SSE alike."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.subscriptions.conftest import Live
from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, LiveServer, launch
from tests.support.paths import ROOT
from tests.support.subscriptions import KEY_METRICS, LOGIN, bearer, graphql, socket, subscribed

TOO_MANY_ALIASES = (
    "subscription Wide { keyMetrics { "
    + " ".join(f"a{number}: totalKeys" for number in range(40))
    + " } }"
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def trusted_server(tmp_path: Path) -> Iterator[LiveServer]:
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({sha256(LOGIN): LOGIN, sha256(KEY_METRICS): KEY_METRICS}))
    server = launch(
        f"sqlite://{tmp_path}/gatehouse.sqlite3", ROOT, None, TRUSTED_DOCUMENTS=str(manifest)
    )
    server.wait_ready()
    try:
        yield server
    finally:
        server.stop()


def _token(base: str) -> str:
    response = httpx.post(
        f"{base}/graphql",
        json={
            "documentId": sha256(LOGIN),
            "variables": {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD},
        },
        timeout=30,
    )
    return str(response.json()["data"]["login"]["token"])


async def test_trusted_documents_hold_over_websocket_and_sse(trusted_server: LiveServer) -> None:
    base = trusted_server.base
    token = _token(base)
    async with socket(base) as connection:
        await connection.init(bearer(token))
        await connection.subscribe("free", KEY_METRICS)
        refused = await connection.receive()
        assert isinstance(refused, dict)
        assert refused["type"] == "error"
        assert "trusted documents" in refused["payload"][0]["message"]
        assert refused["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        payload = {"documentId": sha256(KEY_METRICS)}
        await connection.send({"id": "known", "type": "subscribe", "payload": payload})
        assert "keyMetrics" in (await connection.next_payload("known"))["data"]
    async with httpx.AsyncClient(timeout=10) as client:
        free = await client.post(
            f"{base}/graphql",
            json={"query": KEY_METRICS},
            headers={"Accept": "text/event-stream", **bearer(token)},
        )
        assert free.status_code == 400
        async with client.stream(
            "POST",
            f"{base}/graphql",
            json={"documentId": sha256(KEY_METRICS)},
            headers={"Accept": "text/event-stream", **bearer(token)},
        ) as stream:
            assert stream.status_code == 200
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    assert "keyMetrics" in line
                    break


async def test_the_query_limits_hold_for_subscriptions(live: Live) -> None:
    async with subscribed(live.base, live.token, TOO_MANY_ALIASES) as connection:
        assert await connection.refusal_code("1") == "BAD_USER_INPUT"
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{live.base}/graphql",
            json={"query": TOO_MANY_ALIASES},
            headers={"Accept": "text/event-stream", **bearer(live.token)},
        )
    assert "BAD_USER_INPUT" in response.text
    assert graphql(live.base, "query Me { me { id } }", **bearer(live.token))["me"]
