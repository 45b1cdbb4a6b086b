"""Behind TRUSTED_PROXIES, uvicorn takes the client's address from `X-Forwarded-For` as it
stands. One that is not an IP address is an unknown address: sign-in, key calls, allow-lists
and the audit log go on without it, never with INTERNAL, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from auth.credentials import known_address
from models import ApiKey, AuditEvent
from tests.support.documents import LOGIN_AS_ADMIN, ME_ID
from tests.support.factories import PASSWORD, make_api_key, make_user
from tests.support.limiter import app_client, code_of, try_login
from tests.support.live_server import ADMIN_PASSWORD, serving

GARBAGE = "not-an-address-but-58-characters-of-a-proxy's-own-making.."
KEY = '{ apiKey(id: "%s") { lastUsedIp totalCalls } }'
CREATE_KEY = (
    'mutation { createApiKey(input: {name: "n", scopes: [READ]}) { secret apiKey { id } } }'
)


@pytest.mark.parametrize(
    ("given", "known"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:203.0.113.7", "::ffff:203.0.113.7"),
        ("fe80::1%" + "eth0" * 20, "fe80::1"),
        (GARBAGE, None),
        ("203.0.113.7, 198.51.100.1", None),
        ("unknown", None),
        ("", None),
        (None, None),
    ],
)
def test_a_client_address_is_an_ip_address_or_unknown(given: str | None, known: str | None) -> None:
    assert known_address(given) == known
    assert known_address(given) == known  # again: kept by its text, the same answer
    assert known is None or len(known) <= 45  # the address columns' width


async def test_sign_in_from_an_unparsable_address_works_and_is_audited_without_it(
    db: None,
) -> None:
    assert len(GARBAGE) == 58
    user = await make_user()
    async with app_client(GARBAGE) as client:
        failed = await try_login(client, user.email, "not the password!")
        signed_in = await try_login(client, user.email, PASSWORD)

    assert code_of(failed) == "UNAUTHENTICATED"
    assert "errors" not in signed_in, signed_in
    addresses = await AuditEvent.filter(action="session.login").values_list(
        "client_address", flat=True
    )
    assert addresses == [None, None]


async def test_a_key_call_from_an_unparsable_address_counts_without_an_address(db: None) -> None:
    owner = await make_user()
    key, secret = await make_api_key(owner)
    async with app_client(GARBAGE) as client:
        response = await client.post(
            "/graphql", json={"query": ME_ID}, headers={"Authorization": f"Bearer {secret}"}
        )

    assert response.status_code == 200
    assert "errors" not in response.json(), response.text
    stored = await ApiKey.get(id=key.id)
    assert (stored.total_calls, stored.last_used_ip) == (1, None)


async def test_an_allow_list_never_matches_an_unparsable_address(db: None) -> None:
    key, secret = await make_api_key(await make_user())
    await ApiKey.filter(id=key.id).update(allowed_cidrs_encoded="0.0.0.0/0,::/0")
    async with app_client(GARBAGE) as client:
        response = await client.post(
            "/graphql", json={"query": ME_ID}, headers={"Authorization": f"Bearer {secret}"}
        )

    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await ApiKey.get(id=key.id)).total_calls == 0


@pytest.fixture
def proxied(database_url: str) -> Iterator[str]:
    with serving(database_url, TRUSTED_PROXIES="127.0.0.1") as base:
        yield base


def post(base: str, query: str, *, forwarded_for: str, token: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{base}/graphql", json={"query": query}, headers=headers, timeout=30)


def test_a_live_server_behind_a_trusted_proxy_takes_garbage_forwarded_for(proxied: str) -> None:
    signed_in = post(proxied, LOGIN_AS_ADMIN % ADMIN_PASSWORD, forwarded_for=GARBAGE).json()
    token = signed_in["data"]["login"]["token"]
    created = post(proxied, CREATE_KEY, forwarded_for=GARBAGE, token=token).json()
    secret = created["data"]["createApiKey"]["secret"]
    key_id = created["data"]["createApiKey"]["apiKey"]["id"]

    from_garbage = post(proxied, KEY % key_id, forwarded_for=GARBAGE, token=secret)
    from_address = post(proxied, KEY % key_id, forwarded_for="203.0.113.7", token=secret)
    failed = post(proxied, LOGIN_AS_ADMIN % "wrong password!", forwarded_for=GARBAGE)

    assert from_garbage.status_code == 200
    assert from_garbage.json()["data"]["apiKey"] == {"lastUsedIp": None, "totalCalls": 1}
    assert from_address.json()["data"]["apiKey"] == {"lastUsedIp": "203.0.113.7", "totalCalls": 2}
    assert failed.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
