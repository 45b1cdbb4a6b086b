"""API keys: issuing them once, recognising them fast, revoking them and counting their calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audited
from auth.mfa import require_step_up
from auth.principal import Principal
from auth.tokens import generate_api_key
from core.clock import utcnow
from core.errors import bad_input, not_found
from models import ApiKey, ApiKeyStatus, ApiKeyUsageDay, Scope
from models.api_keys import encode_scopes
from models.key_credits import credits_left
from resolvers.key_authority import (
    check_key_holds,
    check_key_limits_cover,
    check_key_permissions_cover,
)
from resolvers.key_rules import (
    Refill,
    check_description,
    check_expiring_within_days,
    check_rate_limit,
    checked_expiry,
    checked_name,
    credit_fields,
    encode_cidrs,
    encode_permissions,
)
from resolvers.listing import Condition, Listing, contains, db_value
from resolvers.pagination import OrderDirection, Ordering, Page, PageRequest, SortColumn, paginate
from resolvers.service_accounts import check_may_make_key_for, keys_of, owner_of_new_key
from resolvers.users import search_term

MAX_USAGE_DAYS = 90


class ApiKeyOrderField(StrEnum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"
    LAST_USED_AT = "LAST_USED_AT"
    EXPIRES_AT = "EXPIRES_AT"
    TOTAL_CALLS = "TOTAL_CALLS"


API_KEY_SORT_COLUMNS = {
    ApiKeyOrderField.NAME: SortColumn("NAME", "name", str),
    ApiKeyOrderField.CREATED_AT: SortColumn("CREATED_AT", "created_at", datetime),
    ApiKeyOrderField.LAST_USED_AT: SortColumn("LAST_USED_AT", "last_used_at", datetime, True),
    ApiKeyOrderField.EXPIRES_AT: SortColumn("EXPIRES_AT", "expires_at", datetime, True),
    ApiKeyOrderField.TOTAL_CALLS: SortColumn("TOTAL_CALLS", "total_calls", int),
}


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    secret: str = field(repr=False)


def status_filter(status: ApiKeyStatus, now: datetime) -> Q:
    if status == ApiKeyStatus.REVOKED:
        return Q(revoked_at__isnull=False)
    if status == ApiKeyStatus.EXPIRED:
        return Q(revoked_at__isnull=True, expires_at__lte=now)
    live = Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    if status == ApiKeyStatus.DISABLED:
        return live & Q(disabled_at__isnull=False)
    return live & Q(disabled_at__isnull=True)


def expiring_filter(now: datetime, within: timedelta) -> Q:
    """Active keys whose expiry falls in the next `within`."""
    return Q(revoked_at__isnull=True, expires_at__gt=now, expires_at__lte=now + within)


def _status_condition(status: ApiKeyStatus, now: datetime) -> Condition:
    """`status_filter` as SQL for the listing's own statement."""
    if status == ApiKeyStatus.REVOKED:
        return Condition('m."revoked_at" IS NOT NULL')
    when = db_value(ApiKey, "expires_at", now)
    if status == ApiKeyStatus.EXPIRED:
        return Condition('m."revoked_at" IS NULL AND m."expires_at" <= ?', (when,))
    disabled = "NOT NULL" if status == ApiKeyStatus.DISABLED else "NULL"
    return Condition(
        'm."revoked_at" IS NULL AND (m."expires_at" IS NULL OR m."expires_at" > ?) '
        f'AND m."disabled_at" IS {disabled}',
        (when,),
    )


async def list_api_keys(
    page: PageRequest,
    *,
    status: ApiKeyStatus | None = None,
    search: str | None = None,
    expiring_within_days: int | None = None,
    order_by: ApiKeyOrderField | None = None,
    direction: OrderDirection = OrderDirection.DESC,
    with_total: bool = False,
    service_account_id: int | None = None,
) -> Page[ApiKey]:
    """`service_account_id`: only that service account's keys."""
    now = utcnow()
    conditions = []
    if service_account_id is not None:
        conditions.append(keys_of(service_account_id))
    if status is not None:
        conditions.append(_status_condition(status, now))
    if expiring_within_days is not None:
        check_expiring_within_days(expiring_within_days)
        conditions.append(
            Condition(
                'm."revoked_at" IS NULL AND m."expires_at" > ? AND m."expires_at" <= ?',
                (
                    db_value(ApiKey, "expires_at", now),
                    db_value(ApiKey, "expires_at", now + timedelta(days=expiring_within_days)),
                ),
            )
        )
    term = search_term(search)
    if term is not None:
        conditions.append(contains("name", term))
    ordering = None if order_by is None else Ordering(API_KEY_SORT_COLUMNS[order_by], direction)
    # Creators come in the page's own statement: `createdBy` is on most listings.
    return await paginate(
        Listing(ApiKey, tuple(conditions), related="created_by"),
        page,
        kind="ApiKey",
        newest_first=True,
        ordering=ordering,
        with_total=with_total,
    )


def credits_now(api_key: ApiKey, now: datetime | None = None) -> int | None:
    """The key's credits left now (or at `now`), a due refill counted; None is unlimited."""
    return credits_left(api_key, utcnow() if now is None else now)


async def get_api_key(key_id: int) -> ApiKey | None:
    return await ApiKey.get_or_none(id=key_id)


async def api_keys_by_ids(ids: list[int]) -> list[ApiKey | None]:
    """In the order of `ids`, None where no key has that id: a DataLoader's batch."""
    api_keys = {api_key.id: api_key for api_key in await ApiKey.filter(id__in=ids)}
    return [api_keys.get(key_id) for key_id in ids]


async def require_api_key(key_id: int) -> ApiKey:
    api_key = await get_api_key(key_id)
    if api_key is None:
        raise not_found("API key")
    return api_key


async def create_api_key(
    actor: Principal,
    *,
    name: str,
    scopes: list[Scope],
    description: str | None = None,
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
    allowed_cidrs: list[str] | None = None,
    max_lifetime_days: int | None = None,
    permissions: list[str] | None = None,
    remaining: int | None = None,
    refill: Refill | None = None,
    service_account_id: int | None = None,
) -> CreatedApiKey:
    """The key acts for the caller's owner, or for the service account `service_account_id`
    (a super-admin's, or that account's own key's, to make: `owner_of_new_key`)."""
    async with audited(actor, AuditAction.API_KEY_CREATE, target_type=AuditTarget.API_KEY) as event:
        name = checked_name(name)
        check_description(description)
        if not scopes:
            raise bad_input("`scopes` must name at least one scope.")
        event.details = {
            "name": name,
            "scopes": [str(scope) for scope in scopes],
            "expiresAt": expires_at.isoformat() if expires_at else None,
            "rateLimitPerMinute": rate_limit_per_minute,
            "allowedCidrs": allowed_cidrs,
            "permissions": permissions,
            "remaining": remaining,
            "refill": None
            if refill is None
            else {"amount": refill.amount, "interval": str(refill.interval)},
        }
        if service_account_id is not None:
            event.details["serviceAccountId"] = service_account_id
            check_may_make_key_for(actor, service_account_id)
        expires_at = checked_expiry(expires_at, utcnow(), max_lifetime_days)
        check_rate_limit(rate_limit_per_minute)
        allowed_cidrs_encoded = encode_cidrs(allowed_cidrs)
        check_key_holds(actor, scopes)
        if Scope.ADMIN in scopes:
            await require_step_up(actor)
        check_key_limits_cover(actor, rate_limit_per_minute, allowed_cidrs_encoded)
        permissions_encoded = encode_permissions(permissions)
        check_key_permissions_cover(actor, permissions_encoded)
        credit_columns = credit_fields(remaining, refill, utcnow())

        new_key = generate_api_key()
        async with in_transaction():
            owner = await owner_of_new_key(actor, service_account_id)
            api_key = await ApiKey.create(
                name=name,
                description=description,
                key_hash=new_key.hash,
                key_prefix=new_key.display_prefix,
                key_last_four=new_key.last_four,
                scopes_encoded=encode_scopes(scopes),
                **owner,
                expires_at=expires_at,
                rate_limit_per_minute=rate_limit_per_minute,
                allowed_cidrs_encoded=allowed_cidrs_encoded,
                permissions_encoded=permissions_encoded,
                **credit_columns,
            )
            await event.emit("key.created", api_key)
            event.target_id = api_key.id
            await event.record()
    return CreatedApiKey(api_key=api_key, secret=new_key.secret)


async def revoke_key(actor: Principal, key_id: int) -> ApiKey:
    async with (
        audited(
            actor, AuditAction.API_KEY_REVOKE, target_type=AuditTarget.API_KEY, target_id=key_id
        ) as event,
        in_transaction(),
    ):
        api_key = await require_api_key(key_id)
        # Conditional on revoked_at being unset, so the first revocation time is never moved.
        revoked = await ApiKey.filter(id=api_key.id, revoked_at__isnull=True).update(
            revoked_at=utcnow()
        )
        # Read back rather than `refresh_from_db()`, which trips over the `scopes` property.
        api_key = await ApiKey.get(id=api_key.id)
        if revoked:
            await event.emit("key.revoked", api_key)
        event.details = {"name": api_key.name, "alreadyRevoked": not revoked}
        await event.record()
    return api_key


async def delete_api_key(actor: Principal, key_id: int) -> int:
    async with (
        audited(
            actor, AuditAction.API_KEY_DELETE, target_type=AuditTarget.API_KEY, target_id=key_id
        ) as event,
        in_transaction(),
    ):
        api_key = await require_api_key(key_id)
        await api_key.delete()
        event.details = {"name": api_key.name}
        await event.record()
    return int(api_key.id)


def check_usage_days(days: int) -> None:
    if not 1 <= days <= MAX_USAGE_DAYS:
        raise bad_input(f"`days` must be between 1 and {MAX_USAGE_DAYS}.")


def usage_window(days: int, today: date) -> list[date]:
    check_usage_days(days)
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


async def usage_by_key(key_ids: list[int], days: int) -> dict[int, list[tuple[date, int]]]:
    """Calls per UTC day for each key, oldest first, zero days included."""
    window = usage_window(days, utcnow().date())
    rows = await ApiKeyUsageDay.filter(
        api_key_id__in=key_ids, day__gte=window[0], day__lte=window[-1]
    ).values_list("api_key_id", "day", "calls")
    calls: dict[tuple[int, date], int] = {(key, day): count for key, day, count in rows}
    return {key: [(day, calls.get((key, day), 0)) for day in window] for key in key_ids}
