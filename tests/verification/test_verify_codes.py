"""`POST /v1/keys/verify`: every verdict is an HTTP 200 with its code and the key's facts."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from auth.principal import Principal
from core.clock import utcnow
from models import ApiCallDay, ApiKey, ApiKeyUsageDay, Scope, User
from resolvers.api_keys import revoke_key
from resolvers.key_switches import disable_key
from tests.support.factories import gid, make_api_key
from tests.support.verification import verdict
from tests.verification.conftest import Root


async def test_valid_key_is_valid_with_its_facts(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    key, secret = await make_api_key(
        customer, scopes=(Scope.READ,), permissions=["invoices:read"], remaining=10
    )

    answer = await verdict(client, root.secret, key=secret)

    assert answer == {
        "valid": True,
        "code": "VALID",
        "keyId": gid(key),
        "name": "automation",
        "owner": {"type": "USER", "id": gid(customer), "name": customer.display_name},
        "scopes": ["READ"],
        "permissions": ["invoices:read"],
        "expiresAt": None,
        "ratelimit": None,
        "remaining": 9,
    }


@pytest.mark.parametrize("presented", ["gk_" + "A" * 43, "not a key", "", "gk_" + "x" * 600])
async def test_unknown_or_malformed_key_is_not_found(
    client: httpx.AsyncClient, root: Root, presented: str
) -> None:
    answer = await verdict(client, root.secret, key=presented)

    assert answer["valid"] is False
    assert answer["code"] == "NOT_FOUND"
    assert answer["keyId"] is None


async def test_revoked_key_is_revoked(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    key, secret = await make_api_key(customer)
    await revoke_key(Principal(user=customer), key.id)

    answer = await verdict(client, root.secret, key=secret)

    assert (answer["valid"], answer["code"], answer["keyId"]) == (False, "REVOKED", gid(key))


async def test_expired_key_is_expired(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    key, secret = await make_api_key(customer, expires_at=utcnow() + timedelta(days=1))
    await ApiKey.filter(id=key.id).update(expires_at=utcnow() - timedelta(seconds=1))

    answer = await verdict(client, root.secret, key=secret)

    assert (answer["valid"], answer["code"]) == (False, "EXPIRED")


async def test_disabled_key_is_disabled(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    key, secret = await make_api_key(customer)
    await disable_key(Principal(user=customer), key.id)

    answer = await verdict(client, root.secret, key=secret)

    assert (answer["valid"], answer["code"]) == (False, "DISABLED")


async def test_key_from_outside_its_networks_is_ip_blocked(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer, allowed_cidrs=["10.0.0.0/8"])

    inside = await verdict(client, root.secret, key=secret, clientAddress="10.1.2.3")
    outside = await verdict(client, root.secret, key=secret, clientAddress="192.0.2.1")
    unknown = await verdict(client, root.secret, key=secret)

    assert inside["code"] == "VALID"
    assert (outside["valid"], outside["code"]) == (False, "IP_BLOCKED")
    assert unknown["code"] == "IP_BLOCKED"


async def test_key_lacking_a_permission_is_insufficient(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer, permissions=["invoices:read"])

    answer = await verdict(client, root.secret, key=secret, permissions="invoices:write")

    assert (answer["valid"], answer["code"]) == (False, "INSUFFICIENT_PERMISSIONS")
    assert answer["permissions"] == ["invoices:read"]


async def test_key_over_its_rate_limit_is_rate_limited(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    key, secret = await make_api_key(customer, rate_limit_per_minute=2)

    answers = [await verdict(client, root.secret, key=secret) for _ in range(3)]

    assert [answer["code"] for answer in answers] == ["VALID", "VALID", "RATE_LIMITED"]
    assert [answer["ratelimit"]["remaining"] for answer in answers] == [1, 0, 0]
    assert answers[2]["ratelimit"]["limit"] == 2
    assert answers[2]["ratelimit"]["resetAt"] > utcnow().isoformat()
    stored = await ApiKey.get(id=key.id)
    assert (stored.total_calls, stored.rate_limited_calls) == (2, 1)


async def test_key_without_credits_is_usage_exceeded(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer, remaining=1)

    first = await verdict(client, root.secret, key=secret)
    second = await verdict(client, root.secret, key=secret)

    assert (first["code"], first["remaining"]) == ("VALID", 0)
    assert (second["valid"], second["code"], second["remaining"]) == (False, "USAGE_EXCEEDED", 0)


async def test_key_of_an_inactive_owner_is_disabled(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer)
    await User.filter(id=customer.id).update(status="INACTIVE")

    answer = await verdict(client, root.secret, key=secret)

    assert answer["code"] == "DISABLED"


async def test_cost_is_spent_and_zero_cost_spends_nothing(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    _, secret = await make_api_key(customer, remaining=10)

    spent = await verdict(client, root.secret, key=secret, cost=4)
    free = await verdict(client, root.secret, key=secret, cost=0)
    too_dear = await verdict(client, root.secret, key=secret, cost=7)

    assert (spent["code"], spent["remaining"]) == ("VALID", 6)
    assert (free["code"], free["remaining"]) == ("VALID", 6)
    assert (too_dear["code"], too_dear["remaining"]) == ("USAGE_EXCEEDED", 6)


async def test_valid_verification_is_one_call_of_the_verified_key(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    key, secret = await make_api_key(customer, permissions=["a:b"])

    await verdict(client, root.secret, key=secret, operation="invoices.list")
    await verdict(client, root.secret, key=secret, permissions="c:d")

    stored = await ApiKey.get(id=key.id)
    assert stored.total_calls == 1
    assert stored.last_used_at is not None
    days = [day.calls for day in await ApiKeyUsageDay.filter(api_key_id=key.id)]
    assert days == [1]
    # Every key's calls today: the root key's two requests and the one VALID verification.
    today = await ApiCallDay.get(day=utcnow().date())
    assert today.calls == 3
    root_key = await ApiKey.get(id=root.key.id)
    assert root_key.total_calls == 2
