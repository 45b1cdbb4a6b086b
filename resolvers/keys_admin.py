"""Key work for an operator with a shell and no session (`gatehouse keys …`): the rows the
CLI shows and the one key it revokes, found by id or by what a leaked log line shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.clock import utcnow
from models import ApiKey
from resolvers import key_sweep


@dataclass(frozen=True)
class KeyRow:
    """One key as an operator sees it: never its secret or hash."""

    pk: int
    name: str
    masked_key: str
    status: str
    owner_email: str | None  # None when the owner was deleted, or is a service account
    last_used_at: datetime | None
    # Set for a key a service account owns; the name is None once the account is deleted.
    owned_by_service_account: bool = False
    service_account_name: str | None = None


def _row(key: ApiKey, now: datetime) -> KeyRow:
    return KeyRow(
        pk=key.id,
        name=key.name,
        masked_key=key.masked_key,
        status=key.status_at(now).value,
        owner_email=(
            key.created_by.email
            if key.created_by is not None and not key.owned_by_service_account
            else None
        ),
        last_used_at=key.last_used_at,
        owned_by_service_account=key.owned_by_service_account,
        service_account_name=(
            key.service_account.name if key.service_account is not None else None
        ),
    )


async def list_keys() -> list[KeyRow]:
    """Every key, oldest first, with its owner."""
    now = utcnow()
    keys = await ApiKey.all().order_by("id").select_related("created_by", "service_account")
    return [_row(key, now) for key in keys]


async def find_keys(*, pk: int | None = None, mask: str | None = None) -> list[KeyRow]:
    """The key with this primary key, or the keys `mask` matches (see
    `key_sweep.find_keys_by_mask`)."""
    now = utcnow()
    if pk is not None:
        key = await ApiKey.get_or_none(id=pk).select_related("created_by", "service_account")
        return [_row(key, now)] if key is not None else []
    keys = await key_sweep.find_keys_by_mask(mask or "")
    await ApiKey.fetch_for_list(keys, "created_by", "service_account")
    return [_row(key, now) for key in keys]


async def revoke_key(pk: int) -> bool:
    """Revoke as the system (audited as the operator's, announced); False when the key was
    already revoked."""
    key = await ApiKey.get(id=pk)
    return await key_sweep.revoke_by_system(key, {"reason": "operator", "via": "cli"})
