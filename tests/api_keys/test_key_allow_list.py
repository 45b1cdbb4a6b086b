"""A key with allowedCidrs answers only requests from those networks; others are FORBIDDEN
for the whole request, not counted, and audited."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from httpx import AsyncClient

from gatehouse.app import create_app
from models import ApiKey, AuditEvent
from tests.support.database import SETTINGS
from tests.support.factories import make_api_key, make_user

ME = {"query": "{ me { id } }"}

ClientFrom = Callable[[str], AbstractAsyncContextManager[AsyncClient]]


@pytest.fixture
def client_from(db: None) -> ClientFrom:
    app = create_app(SETTINGS, manage_database=False)

    @asynccontextmanager
    async def client(address: str) -> AsyncIterator[AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    return client


async def key_allowing(*cidrs: str) -> tuple[ApiKey, str]:
    key, secret = await make_api_key(await make_user())
    await ApiKey.filter(id=key.id).update(allowed_cidrs_encoded=",".join(cidrs))
    return key, secret


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "192.0.2.200", "2001:db8:0:1::5", "::ffff:10.9.9.9"]
)
async def test_request_from_an_allowed_network_is_answered_and_counted(
    client_from: ClientFrom, address: str
) -> None:
    key, secret = await key_allowing("10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32")

    async with client_from(address) as client:
        response = await client.post("/graphql", json=ME, headers={"X-API-Key": secret})

    assert response.status_code == 200
    assert "errors" not in response.json()
    stored = await ApiKey.get(id=key.id)
    assert (stored.total_calls, stored.last_used_ip) == (1, address)


@pytest.mark.parametrize("address", ["11.0.0.1", "192.0.3.1", "2001:db9::1", "127.0.0.1"])
async def test_request_from_elsewhere_is_forbidden_uncounted_and_audited(
    client_from: ClientFrom, address: str
) -> None:
    key, secret = await key_allowing("10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32")

    async with client_from(address) as client:
        response = await client.post("/graphql", json=ME, headers={"X-API-Key": secret})

    assert response.status_code == 403
    body = response.json()
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert "data" not in body
    stored = await ApiKey.get(id=key.id)
    assert (stored.total_calls, stored.last_used_at, stored.last_used_ip) == (0, None, None)
    event = await AuditEvent.get(action="api_key.denied_address")
    assert (event.outcome, event.target_type, event.target_id) == ("FORBIDDEN", "api_key", key.id)
    assert (event.actor_type, event.client_address) == ("api_key", address)
    assert event.details is not None
    assert event.details["address"] == address
    assert secret not in response.text


async def test_a_mutation_from_elsewhere_does_not_run(client_from: ClientFrom) -> None:
    owner = await make_user()
    target, _ = await make_api_key(owner, name="target")
    _, secret = await key_allowing("10.0.0.0/8")
    await ApiKey.filter(name="automation").update(scopes_encoded=",READ,WRITE,")

    async with client_from("172.16.0.1") as client:
        response = await client.post(
            "/graphql",
            json={"query": f'mutation {{ revokeKey(id: "{target.id}") {{ id }} }}'},
            headers={"X-API-Key": secret},
        )

    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await ApiKey.get(id=target.id)).revoked_at is None


async def test_key_without_allow_list_works_from_anywhere(client_from: ClientFrom) -> None:
    key, secret = await make_api_key(await make_user())

    async with client_from("198.51.100.9") as client:
        response = await client.post("/graphql", json=ME, headers={"X-API-Key": secret})

    assert "errors" not in response.json()
    assert (await ApiKey.get(id=key.id)).last_used_ip == "198.51.100.9"


async def test_unknown_key_from_elsewhere_stays_unauthenticated(client_from: ClientFrom) -> None:
    key, secret = await key_allowing("10.0.0.0/8")
    await ApiKey.filter(id=key.id).update(revoked_at=key.created_at)

    async with client_from("172.16.0.1") as client:
        response = await client.post("/graphql", json=ME, headers={"X-API-Key": secret})

    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not await AuditEvent.exists(action="api_key.denied_address")
