"""Verifying a key for another backend: one answer with the verdict, who owns the key, what
it may do and how much of its limits is left.

Every well-formed request gets a `Verification` (`code` says why a key is not valid); only
a malformed request (a bad expression, a negative cost, an address that is not one) is a
BAD_USER_INPUT. The checks run in this order, the first that fails giving the code:
NOT_FOUND, REVOKED / EXPIRED / DISABLED (also for a key whose owner is inactive),
IP_BLOCKED, INSUFFICIENT_PERMISSIONS, RATE_LIMITED (one unit of the key's limit), and
USAGE_EXCEEDED (the credits, spent by one conditional statement). A VALID verification is
one call of the verified key, counted with its `operation`. The key's row comes from the
process's key cache while fresh (`auth.key_cache`: at most 0.5 s old, never a key with
credits, cleared by every change's signal at once on the process that made it and within
a second on every other), else from the database; every check above runs on every
verification.

The verified key's secret is never logged, stored or echoed: only its SHA-256 is looked up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.expressions import F

from auth.api_keys import address_allowed
from auth.audit import AuditAction, AuditTarget, audited
from auth.credentials import MAX_CREDENTIAL_LENGTH, known_address
from auth.principal import Principal
from auth.rate_limits import KeyWindow
from auth.runtime import Runtime
from auth.tokens import hash_secret, is_well_formed_api_key
from core.clock import utcnow
from core.errors import ErrorCode, GatehouseError, bad_input
from core.permission_expressions import (
    ExpressionError,
    Node,
    PermissionSet,
    parse_expression,
    satisfies,
)
from core.text import UNSAFE_TEXT_RULE, has_unsafe_characters
from models import ApiKey, ApiKeyStatus, KeyOwnerType, Scope, UserStatus
from models.key_credits import credits_left, spend_credits
from models.key_rows import KeyRow, KeysRead, OwnerRow

MAX_COST = 1_000_000_000
MAX_OPERATION_LENGTH = 100
EXPRESSION_ERROR = "INVALID_PERMISSION_EXPRESSION"

VALID = "VALID"
NOT_FOUND = "NOT_FOUND"
DISABLED = "DISABLED"
REVOKED = "REVOKED"
EXPIRED = "EXPIRED"
IP_BLOCKED = "IP_BLOCKED"
INSUFFICIENT_PERMISSIONS = "INSUFFICIENT_PERMISSIONS"
RATE_LIMITED = "RATE_LIMITED"
USAGE_EXCEEDED = "USAGE_EXCEEDED"
CODES = (
    VALID,
    NOT_FOUND,
    DISABLED,
    REVOKED,
    EXPIRED,
    IP_BLOCKED,
    INSUFFICIENT_PERMISSIONS,
    RATE_LIMITED,
    USAGE_EXCEEDED,
)


@dataclass(frozen=True)
class VerifyRequest:
    key: str = field(repr=False)
    permissions: Node | None = None
    cost: int = 1
    operation: str | None = None
    client_address: str | None = None


def checked_request(
    key: object,
    permissions: object = None,
    cost: object = 1,
    operation: object = None,
    client_address: object = None,
) -> VerifyRequest:
    """The request's fields as a client sent them, checked: BAD_USER_INPUT names the field
    (and for an expression the column, `extensions.position`)."""
    if not isinstance(key, str):
        raise bad_input("`key` must be a string.")
    if cost is None:
        cost = 1
    if isinstance(cost, bool) or not isinstance(cost, int) or not 0 <= cost <= MAX_COST:
        raise bad_input(f"`cost` must be a whole number from 0 to {MAX_COST}.")
    if operation is not None:
        if not isinstance(operation, str) or not 1 <= len(operation) <= MAX_OPERATION_LENGTH:
            raise bad_input(f"`operation` must be 1 to {MAX_OPERATION_LENGTH} characters.")
        if has_unsafe_characters(operation):
            raise bad_input(f"`operation` {UNSAFE_TEXT_RULE}.")
    address = None
    if client_address is not None:
        address = known_address(client_address) if isinstance(client_address, str) else None
        if address is None:
            raise bad_input("`clientAddress` must be an IPv4 or IPv6 address.")
    node = None
    if permissions is not None:
        if not isinstance(permissions, str):
            raise bad_input("`permissions` must be a string: an expression.")
        node = parsed_expression(permissions)
    return VerifyRequest(key, node, cost, operation, address)


def parsed_expression(expression: str) -> Node:
    try:
        return parse_expression(expression)
    except ExpressionError as error:
        raise GatehouseError(
            ErrorCode.BAD_USER_INPUT,
            f"`permissions`: {error}.",
            reason=EXPRESSION_ERROR,
            extensions={"position": error.position},
        ) from None


@dataclass(frozen=True)
class VerifiedOwner:
    """`type` is USER or SERVICE_ACCOUNT; `node_type` the GraphQL type its id names."""

    type: str
    node_type: str
    pk: int
    name: str


@dataclass(frozen=True)
class Verification:
    valid: bool
    code: str
    key_id: int | None = None
    name: str | None = None
    owner: VerifiedOwner | None = None
    scopes: list[Scope] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    expires_at: datetime | None = None
    ratelimit: KeyWindow | None = None
    remaining: int | None = None

    @property
    def ratelimit_reset_at(self) -> datetime | None:
        if self.ratelimit is None:
            return None
        return datetime.fromtimestamp(self.ratelimit.reset_at, tz=UTC)


def verified_owner(owner: OwnerRow | None) -> VerifiedOwner | None:
    """Who the verified key acts as (models.key_rows.FoundKey.rows): the service account
    it was made for, or the user who created it; None once deleted (its keys are revoked)."""
    if owner is None:
        return None
    if owner.type == KeyOwnerType.SERVICE_ACCOUNT:
        return VerifiedOwner("SERVICE_ACCOUNT", "ServiceAccount", owner.id, owner.name)
    return VerifiedOwner("USER", "User", owner.id, owner.name)


def _describe(
    code: str,
    api_key: KeyRow,
    owner: OwnerRow | None,
    now: datetime,
    *,
    window: KeyWindow | None = None,
    remaining: int | None = None,
    left_known: bool = False,
) -> Verification:
    return Verification(
        valid=code == VALID,
        code=code,
        key_id=api_key.id,
        name=api_key.name,
        owner=verified_owner(owner),
        scopes=api_key.scopes,
        permissions=api_key.permissions,
        expires_at=api_key.expires_at,
        ratelimit=window,
        remaining=remaining if left_known else credits_left(api_key, now),
    )


_STATUS_CODES = {
    ApiKeyStatus.REVOKED: REVOKED,
    ApiKeyStatus.EXPIRED: EXPIRED,
    ApiKeyStatus.DISABLED: DISABLED,
}


# Counting the verifier's call; one that joins the pending batch when called (a future,
# `CallCounters.count`) shares the verified key's commit.
VerifierCall = Callable[[], Awaitable[None]]
# The verifier, or what makes it when an event names it (a root key's principal is built
# only then: /v1/keys/verify).
Verifier = Principal | Callable[[], Principal]


async def verify_key(
    verifier: Verifier,
    request: VerifyRequest,
    runtime: Runtime,
    *,
    verifier_call: VerifierCall | None = None,
    read: KeysRead | None = None,
) -> Verification:
    """`verifier` is the root key (or admin session) asking; over GraphQL its call was
    counted when it authenticated. Audited only when the verification changes something:
    the key's last credit spent (`api_key.exhausted`); `verifyApiKey`'s own event
    (`api_key.verify`) is kept for refusals of the verifier only.

    `verifier_call` counts the root key's own call when its authentication did not: a
    VALID verification counts it together with the verified key's (one group commit, one
    wait), any other answer just before returning. `read`: the key's row, already read
    with the root key's in one statement."""
    async with audited(
        verifier, AuditAction.API_KEY_VERIFY, target_type=AuditTarget.API_KEY
    ) as event:
        pending = [verifier_call] if verifier_call is not None else []
        verification = await _verify(verifier, request, runtime, pending, read)
        for call in pending:
            await call()
        event.nothing_changed()
    return verification


def verifiable(secret: str) -> bool:
    """Whether a secret could name a key at all (else NOT_FOUND without a read)."""
    return len(secret) <= MAX_CREDENTIAL_LENGTH and is_well_formed_api_key(secret)


async def _verify(
    verifier: Verifier,
    request: VerifyRequest,
    runtime: Runtime,
    pending: list[VerifierCall],
    read: KeysRead | None,
) -> Verification:
    secret = request.key
    if len(secret) > MAX_CREDENTIAL_LENGTH:
        return Verification(valid=False, code=NOT_FOUND)
    secret_hash = hash_secret(secret)
    if read is not None and secret_hash in read.asked:  # asked only for a verifiable one
        now = read.now
        found = read.found.get(secret_hash)
    elif not is_well_formed_api_key(secret):
        return Verification(valid=False, code=NOT_FOUND)
    else:
        now = utcnow()
        found = await runtime.key_cache.find_key(secret_hash, now)
    if found is None:
        return Verification(valid=False, code=NOT_FOUND)
    api_key, owner = found.key, found.owner
    code = _STATUS_CODES.get(api_key.status_at(now))
    # A deleted owner's keys were revoked with it (REVOKED above); one that somehow was not
    # names nobody to act as.
    if code is None and owner is None:
        return Verification(valid=False, code=NOT_FOUND)
    if code is None and owner is not None and owner.status != UserStatus.ACTIVE:
        code = DISABLED
    if code is None and not address_allowed(api_key.allowed_cidrs_encoded, request.client_address):
        code = IP_BLOCKED
    if (
        code is None
        and request.permissions is not None
        and not satisfies(request.permissions, PermissionSet(api_key.permissions))
    ):
        code = INSUFFICIENT_PERMISSIONS
    if code is not None:
        await _refused(runtime, api_key, now, request, code)
        return _describe(code, api_key, owner, now)

    window = None
    if api_key.rate_limit_per_minute is not None:
        window = await runtime.limiter.count_key_call(api_key.id, api_key.rate_limit_per_minute)
        if not window.allowed:
            await ApiKey.filter(id=api_key.id).update(
                rate_limited_calls=F("rate_limited_calls") + 1
            )
            await _refused(runtime, api_key, now, request, RATE_LIMITED)
            return _describe(RATE_LIMITED, api_key, owner, now, window=window)

    remaining = None
    if api_key.remaining is not None:
        spend = await spend_credits(api_key.id, request.cost, now)
        remaining = None if spend is None else spend.remaining
        if spend is not None and not spend.spent:
            await _refused(runtime, api_key, now, request, USAGE_EXCEEDED)
            return _describe(
                USAGE_EXCEEDED,
                api_key,
                owner,
                now,
                window=window,
                remaining=remaining,
                left_known=True,
            )
        if spend is not None and spend.remaining == 0 and request.cost > 0:
            await _record_exhausted(verifier, api_key, request)

    verified_call = runtime.calls.count(
        api_key.id, now, request.client_address, operation=request.operation, outcome=VALID
    )
    await asyncio.gather(verified_call, *(call() for call in pending))
    pending.clear()
    return _describe(
        VALID, api_key, owner, now, window=window, remaining=remaining, left_known=True
    )


async def _refused(
    runtime: Runtime, api_key: KeyRow, now: datetime, request: VerifyRequest, code: str
) -> None:
    await runtime.calls.record_refusal(api_key.id, now, operation=request.operation, outcome=code)


async def _record_exhausted(verifier: Verifier, api_key: KeyRow, request: VerifyRequest) -> None:
    async with audited(
        verifier,
        AuditAction.API_KEY_EXHAUSTED,
        target_type=AuditTarget.API_KEY,
        target_id=api_key.id,
    ) as event:
        event.details = {"name": api_key.name, "operation": request.operation}
        await event.record()
