"""Recognising an API key and counting its call."""

from __future__ import annotations

import ipaddress
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from auth.audit import audit
from auth.principal import Principal
from auth.rate_limits import seconds_until_key_may_call
from auth.tokens import hash_secret, is_well_formed_api_key
from core.clock import utcnow
from core.errors import CredentialRefused, ErrorCode, RateLimitedError
from core.observability import note_auth_failure
from models import ApiKey, ApiKeyStatus, ApiKeyUsageDay, UserStatus


async def authenticate_api_key(secret: str, client_address: str | None = None) -> Principal | None:
    """Recognise a key and count the call. Unknown, revoked or expired keys, and keys whose
    owner is inactive or gone, are refused and not counted. A key with an allow-list refuses
    other addresses with `CredentialRefused` (FORBIDDEN), audited and not counted either."""
    if not is_well_formed_api_key(secret):
        note_auth_failure("malformed")
        return None
    now = utcnow()
    secret_hash = hash_secret(secret)
    # After a roll the previous secret still names the key until its grace period ends.
    api_key = (
        await ApiKey.filter(
            Q(key_hash=secret_hash)
            | Q(previous_key_hash=secret_hash, previous_secret_expires_at__gt=now)
        )
        .select_related("created_by")
        .first()
    )
    if api_key is None:
        note_auth_failure("unknown")
        return None
    status = api_key.status_at(now)
    if status != ApiKeyStatus.ACTIVE:
        note_auth_failure(status.value.lower())
        return None
    owner = api_key.created_by
    if owner is None or owner.status != UserStatus.ACTIVE:
        note_auth_failure("inactive")
        return None
    principal = Principal(user=owner, api_key=api_key, client_address=client_address)
    if not address_allowed(api_key.allowed_cidrs, client_address):
        await audit(
            principal,
            "api_key.denied_address",
            outcome=ErrorCode.FORBIDDEN.value,
            target_type="api_key",
            target_id=api_key.id,
            details={"address": client_address},
        )
        raise CredentialRefused(
            ErrorCode.FORBIDDEN,
            "This API key may not be used from this address.",
            status_code=403,
        )
    if api_key.rate_limit_per_minute is not None:
        await enforce_rate_limit(api_key.id, api_key.rate_limit_per_minute)
    await record_call(api_key.id, now, client_address)
    return principal


def address_allowed(allowed_cidrs: list[str] | None, client_address: str | None) -> bool:
    if allowed_cidrs is None:
        return True
    if client_address is None:
        return False
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return False
    # An IPv4 client reached over IPv6 (::ffff:10.0.0.1) is matched as the IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(cidr) for cidr in allowed_cidrs)


async def enforce_rate_limit(key_id: int, calls_per_minute: int) -> None:
    """Refuse the request when the key is over its limit. A refused request is not a call:
    it counts in rate_limited_calls only, never in total_calls or usage."""
    wait = await seconds_until_key_may_call(key_id, calls_per_minute)
    if wait is None:
        return
    await ApiKey.filter(id=key_id).update(rate_limited_calls=F("rate_limited_calls") + 1)
    raise RateLimitedError(
        wait, f"This API key is over its rate limit of {calls_per_minute} calls per minute."
    )


async def record_call(key_id: int, now: datetime, client_address: str | None = None) -> None:
    # Increments run in the database, so concurrent requests and several server
    # processes never lose a count the way read-modify-write in Python would.
    day = now.date()
    usage = ApiKeyUsageDay.filter(api_key_id=key_id, day=day)
    # One transaction, so the usual case costs one commit.
    async with in_transaction():
        await ApiKey.filter(id=key_id).update(
            total_calls=F("total_calls") + 1, last_used_at=now, last_used_ip=client_address
        )
        if await usage.update(calls=F("calls") + 1):
            return
    # The day's first call; outside the transaction, because on PostgreSQL a failed
    # insert would abort it.
    try:
        await ApiKeyUsageDay.create(api_key_id=key_id, day=day, calls=1)
    except IntegrityError:
        # Another request created today's row first; count on it.
        await usage.update(calls=F("calls") + 1)
