"""Recognising an API key and counting its call."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from datetime import datetime

from tortoise.expressions import F

from auth.audit import AuditAction, AuditTarget, audit
from auth.principal import CountedCall, Principal
from auth.runtime import Runtime
from auth.tokens import hash_secret, is_well_formed_api_key
from core.clock import utcnow
from core.errors import (
    CredentialRefused,
    ErrorCode,
    GatehouseError,
    RateLimitedError,
    usage_exceeded,
)
from core.observability import note_auth_failure
from models import ApiKey, ApiKeyStatus, ServiceAccount, User, UserStatus
from models.key_credits import Credits, credits_left, next_refill_at
from models.key_rows import FoundKey, KeyRow, OwnerRow, find_keys


async def find_key_with_owner(secret_hash: str, now: datetime) -> FoundKey | None:
    """The key a secret's hash names (its previous secret's too, within the grace period),
    with whom it acts for: one query (models.key_rows)."""
    return (await find_keys((secret_hash,), now)).found.get(secret_hash)


async def authenticate_api_key(
    secret: str,
    client_address: str | None,
    runtime: Runtime,
    operation: str | None = None,
    *,
    count_call: bool = True,
) -> Principal | None:
    """Recognise a key and count the call, in the usage roll-ups under `operation` (the
    GraphQL operation name) and the outcome OK until its answer says otherwise. Unknown,
    revoked or expired keys, and keys whose owner is inactive or gone, are refused and not
    counted. A key with an allow-list refuses other addresses with `CredentialRefused`
    (FORBIDDEN), audited and not counted either. Refusals of a known key are counted in the
    roll-ups only, under their error code. `count_call=False` leaves the count to the
    caller (a verification counts the root key's call in the same group commit as the
    verified key's)."""
    if not is_well_formed_api_key(secret):
        note_auth_failure("malformed")
        return None
    now = utcnow()
    secret_hash = hash_secret(secret)
    found = await find_key_with_owner(secret_hash, now)
    if found is None:
        note_auth_failure("unknown")
        return None
    api_key = found.key
    owner = found.owner_model()
    principal = None
    if owner is not None:
        counted = CountedCall(now, operation) if count_call else None
        principal = _acting_for(owner, api_key, client_address, counted)
    if not await admit_key(
        api_key, found.owner, now, client_address, runtime, operation, principal
    ):
        return None
    if count_call:
        await runtime.calls.record(api_key.id, now, client_address, operation=operation)
    return principal


def key_principal(found: FoundKey, client_address: str | None) -> Principal:
    """The principal of a key found and admitted (its owner exists), whose call is not
    counted with it."""
    owner = found.owner_model()
    if owner is None:
        msg = "a key without an owner is never admitted"
        raise ValueError(msg)
    return _acting_for(owner, found.key, client_address, None)


def _acting_for(
    owner: User | ServiceAccount,
    api_key: KeyRow,
    client_address: str | None,
    counted_call: CountedCall | None,
) -> Principal:
    return Principal(
        user=owner if isinstance(owner, User) else None,
        service_account=owner if isinstance(owner, ServiceAccount) else None,
        api_key=api_key,
        client_address=client_address,
        counted_call=counted_call,
    )


async def admit_key(
    api_key: KeyRow,
    owner: OwnerRow | None,
    now: datetime,
    client_address: str | None,
    runtime: Runtime,
    operation: str | None,
    principal: Principal | Callable[[], Principal] | None,
) -> bool:
    """Whether a known key (and whom it acts for, models.key_rows) may call, read at `now`
    (`authenticate_api_key`'s rules, its call not counted): False for a revoked, expired or
    disabled key or one whose owner is inactive or gone (None); the refusals of the door
    raised. A refusal is counted in the roll-ups. `principal` is the key's, or makes it
    (the audit of a refused address)."""
    status = api_key.status_at(now)
    if status != ApiKeyStatus.ACTIVE or owner is None or owner.status != UserStatus.ACTIVE:
        if status != ApiKeyStatus.ACTIVE:
            note_auth_failure(status.value.lower())
        else:
            note_auth_failure("unknown" if owner is None else "inactive")
        await runtime.calls.record_refusal(
            api_key.id, now, operation=operation, outcome=ErrorCode.UNAUTHENTICATED.value
        )
        return False
    try:
        check_credits_left(api_key, now)
    except GatehouseError as refusal:
        await runtime.calls.record_refusal(
            api_key.id, now, operation=operation, outcome=refusal.code.value
        )
        raise
    if not address_allowed(api_key.allowed_cidrs_encoded, client_address):
        await audit(
            principal() if callable(principal) else principal,
            AuditAction.API_KEY_DENIED_ADDRESS,
            outcome=ErrorCode.FORBIDDEN.value,
            target_type=AuditTarget.API_KEY,
            target_id=api_key.id,
            details={"address": client_address},
        )
        await runtime.calls.record_refusal(
            api_key.id, now, operation=operation, outcome=ErrorCode.FORBIDDEN.value
        )
        raise CredentialRefused(
            ErrorCode.FORBIDDEN,
            "This API key may not be used from this address.",
            status_code=403,
        )
    if api_key.rate_limit_per_minute is not None:
        try:
            await enforce_rate_limit(runtime, api_key.id, api_key.rate_limit_per_minute)
        except RateLimitedError:
            await runtime.calls.record_refusal(
                api_key.id, now, operation=operation, outcome=ErrorCode.RATE_LIMITED.value
            )
            raise
    return True


# When a key without a refill runs out, its credits come back only when someone sets
# `remaining`: clients are told to look again in an hour.
NO_REFILL_RETRY_SECONDS = 3600


def check_credits_left(api_key: Credits, now: datetime) -> None:
    """A key with credits left 0 is refused on Gatehouse's own API (RATE_LIMITED, reason
    USAGE_EXCEEDED) until its refill. Own-API calls do not spend credits: credits count
    what other backends verify (docs/key-verification.md)."""
    left = credits_left(api_key, now)
    if left is None or left > 0:
        return
    if api_key.refill_interval is None or api_key.refill_amount is None:
        raise usage_exceeded(NO_REFILL_RETRY_SECONDS)
    raise usage_exceeded((next_refill_at(api_key.refill_interval, now) - now).total_seconds())


def address_allowed(allowed_cidrs_encoded: str | None, client_address: str | None) -> bool:
    """Whether a key's allow-list (its `allowed_cidrs_encoded`: comma-separated networks,
    null for every address) admits the client."""
    if allowed_cidrs_encoded is None:
        return True
    if client_address is None:
        return False
    address = _address(client_address)
    if address is None:
        return False
    return any(address in _network(cidr) for cidr in allowed_cidrs_encoded.split(",") if cidr)


# Parsed once per text: every call of a key with an allow-list parses its client's address
# and the key's networks, and a server sees the same few of each again and again.
@functools.lru_cache(maxsize=4096)
def _address(client_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return None
    # An IPv4 client reached over IPv6 (::ffff:10.0.0.1) is matched as the IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr)


async def enforce_rate_limit(runtime: Runtime, key_id: int, calls_per_minute: int) -> None:
    """Refuse the request when the key is over its limit. A refused request is not a call:
    it counts in rate_limited_calls only, never in total_calls or usage."""
    wait = await runtime.limiter.seconds_until_key_may_call(key_id, calls_per_minute)
    if wait is None:
        return
    await ApiKey.filter(id=key_id).update(rate_limited_calls=F("rate_limited_calls") + 1)
    raise RateLimitedError(
        wait, f"This API key is over its rate limit of {calls_per_minute} calls per minute."
    )
