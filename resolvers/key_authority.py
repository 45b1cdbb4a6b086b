"""Which keys a caller may change, so that no credential reaches a stronger one through a
key: rolling hands out a working secret, and editing can lift a key's limits.

The refusals are FORBIDDEN with a reason (`extensions.reason`, listed in docs/api-keys.md):

- NOT_KEY_OWNER: the key is not the caller's. A roll is the owner's alone (an admin who
  could roll a super-admin's key would act as that super-admin), or a super-admin's on a
  service account's key; an edit is the owner's or a super-admin's. A service account's
  key's owner is the account (and so its keys), never the user who created it.
- KEY_SCOPE_EXCEEDED: a key acting on another key (or creating one) must hold every scope
  that key has or would have, or a WRITE key could mint itself an ADMIN key.
- OWN_KEY_LIMITS: a key never changes its own rate limit, allow-list, permissions or
  credits (`remaining`, `refill`): those are what contain the key when it leaks.
- KEY_PERMISSIONS_EXCEEDED: a key acting on another key grants only permissions (for
  other backends) that it holds itself, wildcards included.
- KEY_LIMITS_EXCEEDED: nor does it escape them through another key: a key acting on
  another key (rolling, changing or creating it) needs that key's rate limit and allow-list
  to be within its own, or a limited key would mint or roll itself an unlimited one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from auth.principal import Principal
from core.errors import forbidden
from core.permission_expressions import PermissionSet
from models import ApiKey, Role, Scope

NOT_KEY_OWNER = "NOT_KEY_OWNER"
KEY_SCOPE_EXCEEDED = "KEY_SCOPE_EXCEEDED"
OWN_KEY_LIMITS = "OWN_KEY_LIMITS"
KEY_LIMITS_EXCEEDED = "KEY_LIMITS_EXCEEDED"
KEY_PERMISSIONS_EXCEEDED = "KEY_PERMISSIONS_EXCEEDED"

# The fields of a key (as stored) that bound its own use.
LIMIT_FIELDS = frozenset({"rate_limit_per_minute", "allowed_cidrs_encoded"})
# The fields a key never changes on itself: its limits, its permissions and its credits.
OWN_KEY_FIELDS = LIMIT_FIELDS | {
    "permissions_encoded",
    "remaining",
    "refill_amount",
    "refill_interval",
}


def owns(actor: Principal, api_key: ApiKey) -> bool:
    """A key's owner is the service account it was made for, else the user who created it;
    a key acts as that same owner (so a service account's key owns its account's keys)."""
    if api_key.owned_by_service_account:
        return (
            api_key.service_account_id is not None
            and api_key.service_account_id == actor.service_account_id
        )
    return api_key.created_by_id is not None and api_key.created_by_id == actor.user_id


def is_own_key(actor: Principal, api_key: ApiKey) -> bool:
    return actor.api_key is not None and actor.api_key.id == api_key.id


def check_may_roll(actor: Principal, api_key: ApiKey) -> None:
    """The owner's alone, but a super-admin may also roll a service account's key: the
    account has no person to do it, and its keys are the super-admins' to make."""
    super_admin_on_account_key = api_key.owned_by_service_account and actor.role == Role.SUPER_ADMIN
    if not (owns(actor, api_key) or super_admin_on_account_key):
        raise forbidden(
            "Only the key's owner (or, for a service account's key, a super-admin) may roll it.",
            reason=NOT_KEY_OWNER,
        )
    check_key_holds(actor, api_key.scopes)
    check_key_limits_cover(actor, api_key.rate_limit_per_minute, api_key.allowed_cidrs_encoded)


def check_may_update(actor: Principal, api_key: ApiKey, changed: dict[str, Any]) -> None:
    """`changed` holds the stored fields the update would change, with their new values."""
    if not (owns(actor, api_key) or actor.role == Role.SUPER_ADMIN):
        raise forbidden(
            "Only the key's owner or a super-admin may change it.", reason=NOT_KEY_OWNER
        )
    check_key_holds(actor, api_key.scopes)
    if is_own_key(actor, api_key):
        if OWN_KEY_FIELDS.intersection(changed):
            raise forbidden(
                "A key cannot change its own rateLimitPerMinute, allowedCidrs, permissions, "
                "remaining or refill.",
                reason=OWN_KEY_LIMITS,
            )
        return
    if "permissions_encoded" in changed:
        check_key_permissions_cover(actor, changed["permissions_encoded"])
    check_key_limits_cover(
        actor,
        changed.get("rate_limit_per_minute", api_key.rate_limit_per_minute),
        changed.get("allowed_cidrs_encoded", api_key.allowed_cidrs_encoded),
    )


def check_key_holds(actor: Principal, scopes: Iterable[Scope]) -> None:
    """Sessions hold every scope; a key only its own (so a key always passes on itself)."""
    if not actor.can_grant(list(scopes)):
        raise forbidden(
            "This API key lacks a scope that the key it acts on has or would have.",
            reason=KEY_SCOPE_EXCEEDED,
        )


def check_key_permissions_cover(actor: Principal, permissions_encoded: str | None) -> None:
    """A key grants another key only permissions it holds itself (its wildcards count)."""
    key = actor.api_key
    if key is None or not permissions_encoded:
        return
    held = PermissionSet(key.permissions)
    if not all(held.grants(permission) for permission in permissions_encoded.split(",")):
        raise forbidden(
            "This API key cannot grant a permission it does not hold itself.",
            reason=KEY_PERMISSIONS_EXCEEDED,
        )


def check_key_limits_cover(
    actor: Principal, rate_limit_per_minute: int | None, allowed_cidrs_encoded: str | None
) -> None:
    """A key's limits bound every key it acts on: no higher rate limit (none is the highest)
    and no address outside its own allow-list (none allows every address)."""
    key = actor.api_key
    if key is None:
        return
    own_limit = key.rate_limit_per_minute
    if own_limit is not None and (
        rate_limit_per_minute is None or rate_limit_per_minute > own_limit
    ):
        raise forbidden(
            f"A key limited to {own_limit} calls a minute cannot act on a key allowed more.",
            reason=KEY_LIMITS_EXCEEDED,
        )
    own_networks = _networks(key.allowed_cidrs_encoded)
    if own_networks is None:
        return
    networks = _networks(allowed_cidrs_encoded)
    if networks is None or not all(_within(network, own_networks) for network in networks):
        raise forbidden(
            "A key cannot act on a key allowed from addresses outside its own allowedCidrs.",
            reason=KEY_LIMITS_EXCEEDED,
        )


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(encoded: str | None) -> list[Network] | None:
    if encoded is None:
        return None
    return [ipaddress.ip_network(cidr) for cidr in encoded.split(",") if cidr]


def _within(network: Network, networks: list[Network]) -> bool:
    return any(
        network.version == outer.version and network.subnet_of(outer)  # type: ignore[arg-type]
        for outer in networks
    )
