"""Service accounts: owners of API keys that are not people. They hold roles as users do and
never sign in; a key made for one acts as the account, and outlives the user who made it.

Only a super-admin creates, changes or deletes one, or makes a key for one (the schema
declares the first three; `check_may_make_key_for` says the last, next to the key's write).
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audited
from auth.principal import Principal
from core.clock import utcnow
from core.errors import ErrorCode, GatehouseError, bad_input, forbidden, not_found
from models import ApiKey, KeyOwnerType, Role, ServiceAccount, UserStatus
from resolvers.key_rules import check_description, checked_name
from resolvers.listing import Condition, Listing
from resolvers.pagination import Page, PageRequest, paginate
from resolvers.users import encoded_roles

# The reason of the FORBIDDEN for a key made for a service account by anyone but a
# super-admin (or the account itself, through one of its keys).
SUPER_ADMIN_REQUIRED = "SUPER_ADMIN_REQUIRED"

UNCHANGED: Any = object()


def _duplicate_name() -> GatehouseError:
    return GatehouseError(ErrorCode.CONFLICT, "A service account with this name already exists.")


def _names(roles: list[Role]) -> list[str]:
    return [role.value for role in roles]


async def get_service_account(account_id: int) -> ServiceAccount | None:
    return await ServiceAccount.get_or_none(id=account_id)


async def service_accounts_by_ids(ids: list[int]) -> list[ServiceAccount | None]:
    """In the order of `ids`, None where no account has that id: a DataLoader's batch."""
    found = {account.id: account for account in await ServiceAccount.filter(id__in=ids)}
    return [found.get(account_id) for account_id in ids]


async def _require(account_id: int) -> ServiceAccount:
    account = await get_service_account(account_id)
    if account is None:
        raise not_found("Service account")
    return account


async def list_service_accounts(
    page: PageRequest, *, with_total: bool = False
) -> Page[ServiceAccount]:
    """Every service account, by id (oldest first)."""
    return await paginate(
        Listing(ServiceAccount),
        page,
        kind="ServiceAccount",
        newest_first=False,
        with_total=with_total,
    )


def keys_of(account_id: int) -> Condition:
    """`list_api_keys`'s condition for the keys a service account owns."""
    return Condition('m."service_account_id" = ?', (account_id,))


async def _check_name_free(name: str, account_id: int | None = None) -> None:
    # Unique in any letter case, as emails are: "Deploy" and "deploy" would be told apart
    # by no one reading a key list. The unique index is the backstop for a race.
    taken = ServiceAccount.filter(name__iexact=name)
    if account_id is not None:
        taken = taken.exclude(id=account_id)
    if await taken.exists():
        raise _duplicate_name()


async def create_service_account(
    actor: Principal, *, name: str, description: str | None, roles: list[Role]
) -> ServiceAccount:
    async with audited(
        actor, AuditAction.SERVICE_ACCOUNT_CREATE, target_type=AuditTarget.SERVICE_ACCOUNT
    ) as event:
        name = checked_name(name)
        check_description(description)
        roles_encoded = encoded_roles(roles)
        event.details = {"name": name, "roles": _names(roles)}
        await _check_name_free(name)
        try:
            async with in_transaction():
                account = await ServiceAccount.create(
                    name=name,
                    description=description,
                    roles_encoded=roles_encoded,
                    created_by_id=actor.user_id,
                )
                event.target_id = account.id
                await event.record()
        except IntegrityError:
            raise _duplicate_name() from None
    return account


async def update_service_account(
    actor: Principal,
    account_id: int,
    *,
    name: Any = UNCHANGED,
    description: Any = UNCHANGED,
    roles: Any = UNCHANGED,
    status: Any = UNCHANGED,
) -> ServiceAccount:
    """Each argument left UNCHANGED is kept; a null description clears it. New roles and an
    INACTIVE status apply to the account's keys from their next request."""
    async with audited(
        actor,
        AuditAction.SERVICE_ACCOUNT_UPDATE,
        target_type=AuditTarget.SERVICE_ACCOUNT,
        target_id=account_id,
    ) as event:
        changes: dict[str, Any] = {}
        if name is not UNCHANGED:
            if name is None:
                raise bad_input("`name` cannot be null.")
            changes["name"] = checked_name(name)
        if description is not UNCHANGED:
            check_description(description)
            changes["description"] = description
        if roles is not UNCHANGED:
            if roles is None:
                raise bad_input("`roles` cannot be null.")
            changes["roles_encoded"] = encoded_roles(roles)
        if status is not UNCHANGED:
            if status is None:
                raise bad_input("`status` cannot be null.")
            changes["status"] = UserStatus(status)
        account = await _require(account_id)
        changed = {key: value for key, value in changes.items() if getattr(account, key) != value}
        if not changed:
            event.nothing_changed()
            return account
        event.details = {"changed": _described(account, changed)}
        if "name" in changed:
            await _check_name_free(changed["name"], account.id)
        try:
            async with in_transaction():
                await ServiceAccount.filter(id=account.id).update(**changed, updated_at=utcnow())
                account = await ServiceAccount.get(id=account.id)
                await event.record()
        except IntegrityError:
            raise _duplicate_name() from None
    return account


_FIELD_NAMES = {
    "name": "name",
    "description": "description",
    "roles_encoded": "roles",
    "status": "status",
}


def _described(account: ServiceAccount, changed: dict[str, Any]) -> dict[str, Any]:
    def shown(field: str, value: Any) -> Any:
        if field == "roles_encoded":
            return [name for name in value.strip(",").split(",") if name]
        return str(value) if field == "status" else value

    return {
        _FIELD_NAMES[field]: {
            "from": shown(field, getattr(account, field)),
            "to": shown(field, value),
        }
        for field, value in changed.items()
    }


async def delete_service_account(actor: Principal, account_id: int) -> bool:
    """Delete the account and revoke its keys, which stay listed as REVOKED with no owner."""
    async with (
        audited(
            actor,
            AuditAction.SERVICE_ACCOUNT_DELETE,
            target_type=AuditTarget.SERVICE_ACCOUNT,
            target_id=account_id,
        ) as event,
        in_transaction(),
    ):
        # Locked first, as a key's creation for it locks it, so the two serialise and no
        # key is made for an account being deleted.
        account = await ServiceAccount.filter(id=account_id).select_for_update().first()
        if account is None:
            raise not_found("Service account")
        now = utcnow()
        # Locked by id, the order group commit locks key rows in (auth/call_counter.py).
        keys = await (
            ApiKey.filter(service_account_id=account.id, revoked_at__isnull=True)
            .order_by("id")
            .select_for_update()
        )
        await ApiKey.filter(id__in=[key.id for key in keys], revoked_at__isnull=True).update(
            revoked_at=now
        )
        for key in keys:
            key.revoked_at = now
            await event.emit("key.revoked", key)
        # Said here rather than left to the foreign key's ON DELETE: the keys keep their
        # owner type, so they never pass for their creator's.
        await ApiKey.filter(service_account_id=account.id).update(service_account_id=None)
        await account.delete()
        event.details = {"name": account.name, "revokedKeys": len(keys)}
        await event.record()
    return True


def check_may_make_key_for(actor: Principal, account_id: int) -> None:
    """A key of the account may make more for it (its scopes capped as every key's are);
    otherwise only a super-admin may: the key acts as the account and outlives its maker,
    so an admin who could make one would keep the account's roles after losing their own,
    and only the owner or a super-admin may ever roll or change it."""
    if actor.service_account_id != account_id and actor.role != Role.SUPER_ADMIN:
        raise forbidden(
            "Only a super-admin may make keys for a service account.",
            reason=SUPER_ADMIN_REQUIRED,
        )


async def owner_of_new_key(actor: Principal, account_id: int | None) -> dict[str, Any]:
    """The ownership columns of a key `actor` makes, inside the key's transaction: for the
    account `account_id` when given, else for whom the caller acts (a service account's key
    makes keys for its own account). The account's row stays locked until the key is
    written, so that no key is made for an account being deleted."""
    if account_id is None:
        account_id = actor.service_account_id
    if account_id is None:
        return {"owner_type": KeyOwnerType.USER, "created_by_id": actor.user_id}
    check_may_make_key_for(actor, account_id)
    account = await ServiceAccount.filter(id=account_id).select_for_update().first()
    if account is None:
        raise not_found("Service account")
    return {
        "owner_type": KeyOwnerType.SERVICE_ACCOUNT,
        "service_account_id": account.id,
        "created_by_id": actor.user_id,
    }
