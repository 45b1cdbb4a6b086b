"""Rules for the values a key can be given: names, rate limits, allow-lists, lifetimes."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.enums import RefillInterval
from core.errors import bad_input
from core.permission_expressions import (
    MAX_PERMISSION_LENGTH,
    MAX_PERMISSIONS,
    PERMISSION_PATTERN,
)
from core.text import UNSAFE_TEXT_RULE, has_unsafe_characters

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 1000
MAX_RATE_LIMIT_PER_MINUTE = 100_000
MAX_ALLOWED_CIDRS = 50
MAX_EXPIRING_WITHIN_DAYS = 3650


def checked_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise bad_input(f"`name` must be 1 to {MAX_NAME_LENGTH} characters long.")
    if has_unsafe_characters(name):
        raise bad_input(f"`name` {UNSAFE_TEXT_RULE}.")
    return name


def check_description(description: str | None) -> None:
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        raise bad_input(f"`description` must be at most {MAX_DESCRIPTION_LENGTH} characters.")
    if description is not None and has_unsafe_characters(description):
        raise bad_input(f"`description` {UNSAFE_TEXT_RULE}.")


def check_rate_limit(per_minute: int | None) -> None:
    if per_minute is not None and not 1 <= per_minute <= MAX_RATE_LIMIT_PER_MINUTE:
        raise bad_input(
            f"`rateLimitPerMinute` must be 1 to {MAX_RATE_LIMIT_PER_MINUTE}, or null for none."
        )


def encode_cidrs(cidrs: list[str] | None) -> str | None:
    """Networks in canonical form, comma-separated; None allows every address.

    Host bits are refused (`10.0.0.1/24`) rather than silently dropped: the writer meant
    either one address or the whole network, and we cannot tell which."""
    if cidrs is None:
        return None
    if not cidrs:
        raise bad_input("`allowedCidrs` must name at least one network; null allows every address.")
    if len(cidrs) > MAX_ALLOWED_CIDRS:
        raise bad_input(f"`allowedCidrs` takes at most {MAX_ALLOWED_CIDRS} networks.")
    networks: list[str] = []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=True)
        except ValueError:
            raise bad_input(
                f"`allowedCidrs`: {cidr[:60]!r} is not an IPv4 or IPv6 network such as "
                "203.0.113.0/24 or 2001:db8::/32 (with no host bits set), nor an address."
            ) from None
        if str(network) not in networks:
            networks.append(str(network))
    return ",".join(networks)


def checked_expiry(
    expires_at: datetime | None, now: datetime, max_lifetime_days: int | None
) -> datetime | None:
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= now:
            raise bad_input("`expiresAt` must be in the future.")
    if max_lifetime_days is None:
        return expires_at
    cap = f"keys live at most {max_lifetime_days} days (MAX_KEY_LIFETIME_DAYS)"
    if expires_at is None:
        raise bad_input(f"`expiresAt` is required: {cap}.")
    if expires_at > now + timedelta(days=max_lifetime_days):
        raise bad_input(f"`expiresAt` is too far ahead: {cap}.")
    return expires_at


def check_expiring_within_days(days: int) -> None:
    if not 1 <= days <= MAX_EXPIRING_WITHIN_DAYS:
        raise bad_input(f"`expiringWithinDays` must be 1 to {MAX_EXPIRING_WITHIN_DAYS}.")


MAX_CREDITS = 1_000_000_000


def encode_permissions(permissions: list[str] | None) -> str | None:
    """Permission strings, each `resource:action` (PERMISSION_PATTERN), duplicates dropped,
    in the order given; None (or an empty list) for none."""
    if not permissions:
        return None
    if len(permissions) > MAX_PERMISSIONS:
        raise bad_input(f"`permissions` takes at most {MAX_PERMISSIONS} permissions.")
    kept: dict[str, None] = {}
    for permission in permissions:
        if len(permission) > MAX_PERMISSION_LENGTH or not PERMISSION_PATTERN.fullmatch(permission):
            raise bad_input(
                f"`permissions`: {permission[:60]!r} is not a permission: `resource:action` in "
                "lower-case letters, digits, `_`, `.`, `-` (and `*` in the action), at most "
                f"{MAX_PERMISSION_LENGTH} characters."
            )
        kept[permission] = None
    return ",".join(kept)


def check_remaining(remaining: int | None) -> None:
    if remaining is not None and not 0 <= remaining <= MAX_CREDITS:
        raise bad_input(f"`remaining` must be 0 to {MAX_CREDITS}, or null for unlimited.")


def check_refill_amount(amount: int) -> None:
    if not 1 <= amount <= MAX_CREDITS:
        raise bad_input(f"`refill.amount` must be 1 to {MAX_CREDITS}.")


@dataclass(frozen=True)
class Refill:
    amount: int
    interval: RefillInterval


def credit_fields(remaining: int | None, refill: Refill | None, now: datetime) -> dict[str, Any]:
    """The stored fields of a key's credits: `remaining` null is unlimited (and then a refill
    sets the key to its amount at once). Setting either starts the refill period now."""
    check_remaining(remaining)
    if refill is not None:
        check_refill_amount(refill.amount)
        if remaining is None:
            remaining = refill.amount
    return {
        "remaining": remaining,
        "refill_amount": None if refill is None else refill.amount,
        "refill_interval": None if refill is None else str(refill.interval),
        "refilled_at": None if refill is None else now,
    }
