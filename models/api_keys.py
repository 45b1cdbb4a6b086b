from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from core.enums import ApiKeyStatus, KeyOwnerType, Scope

if TYPE_CHECKING:
    from models.service_accounts import ServiceAccount
    from models.users import User


def encode_scopes(scopes: Iterable[Scope]) -> str:
    return "," + ",".join(sorted(set(scopes))) + ","


@functools.lru_cache(maxsize=64)
def _decoded_scopes(encoded: str) -> tuple[Scope, ...]:
    # Few spellings, decoded for every key of every page and every call's scope check.
    return tuple(Scope(name) for name in encoded.strip(",").split(",") if name)


class KeyStanding:
    """What a key's encoded columns say, for the model and for the credential path's plain
    rows alike (`models.key_rows.KeyRow`)."""

    __slots__ = ()
    scopes_encoded: str
    allowed_cidrs_encoded: str | None
    owner_type: str
    permissions_encoded: str | None
    revoked_at: datetime | None
    expires_at: datetime | None
    disabled_at: datetime | None

    @property
    def scopes(self) -> list[Scope]:
        return list(_decoded_scopes(self.scopes_encoded))

    @property
    def allowed_cidrs(self) -> list[str] | None:
        if self.allowed_cidrs_encoded is None:
            return None
        return [cidr for cidr in self.allowed_cidrs_encoded.split(",") if cidr]

    @property
    def owned_by_service_account(self) -> bool:
        return self.owner_type == KeyOwnerType.SERVICE_ACCOUNT

    @property
    def permissions(self) -> list[str]:
        if not self.permissions_encoded:
            return []
        return self.permissions_encoded.split(",")

    def status_at(self, now: datetime) -> ApiKeyStatus:
        if self.revoked_at is not None:
            return ApiKeyStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return ApiKeyStatus.EXPIRED
        # After the final states: enabling a revoked or expired key would not revive it.
        if self.disabled_at is not None:
            return ApiKeyStatus.DISABLED
        return ApiKeyStatus.ACTIVE


class ApiKey(KeyStanding, Model):
    # Only the SHA-256 of the key is kept: a leak of this table leaks no usable key, and
    # the key itself can be shown once only.

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    description = fields.TextField(null=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    key_prefix = fields.CharField(max_length=16)
    key_last_four = fields.CharField(max_length=4)
    scopes_encoded = fields.CharField(max_length=32)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_keys", null=True, on_delete=fields.SET_NULL
    )
    # Whom the key acts for: the user who created it, or the service account it was made
    # for. The type outlives the account: a deleted account's keys (revoked with it) keep
    # SERVICE_ACCOUNT with no account, and never pass for their creator's. Rows from before
    # service accounts existed are their creators' (the database default).
    owner_type = fields.CharEnumField(
        KeyOwnerType, max_length=16, default=KeyOwnerType.USER, db_default=KeyOwnerType.USER
    )
    service_account: fields.ForeignKeyNullableRelation[ServiceAccount] = fields.ForeignKeyField(
        "models.ServiceAccount",
        related_name="api_keys",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)
    revoked_at = fields.DatetimeField(null=True, db_index=True)
    last_used_at = fields.DatetimeField(null=True)
    last_used_ip = fields.CharField(max_length=45, null=True)
    total_calls = fields.BigIntField(default=0)
    # Calls refused by the key's own rate limit: not calls, so kept apart from total_calls.
    # The database default fills the rows that existed before the column was added.
    rate_limited_calls = fields.BigIntField(default=0, db_default=0)
    rate_limit_per_minute = fields.IntField(null=True)
    # Comma-separated networks in CIDR notation; null allows every address.
    allowed_cidrs_encoded = fields.TextField(null=True)
    # After a roll, the previous secret's hash stays valid until previous_secret_expires_at.
    rolled_at = fields.DatetimeField(null=True)
    previous_key_hash = fields.CharField(max_length=64, null=True, unique=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    # Set while the key is disabled (`disableKey`); cleared by `enableKey`.
    disabled_at = fields.DatetimeField(null=True, db_index=True)
    # Permission strings for other backends, comma-separated (a permission has no comma);
    # null for none. Gatehouse's own API checks scopes only.
    permissions_encoded = fields.TextField(null=True)
    # Credits a VALID verification consumes; null is unlimited. Changed only by one
    # conditional statement in the database (models.key_credits), never read and written.
    remaining = fields.BigIntField(null=True)
    # With a refill, `remaining` is set back to `refill_amount` at the first use in each new
    # UTC day or month (`refill_interval`) after `refilled_at`.
    refill_amount = fields.BigIntField(null=True)
    refill_interval = fields.CharField(max_length=16, null=True)
    refilled_at = fields.DatetimeField(null=True)

    created_by_id: int | None
    service_account_id: int | None

    class Meta:
        table = "api_keys"
        indexes = (
            # Expired keys are counted from this index alone, however many keys there are.
            ("expires_at", "revoked_at"),
            # Keyset pagination for each `apiKeys(orderBy:)` field: the sort column, then the
            # id that breaks ties.
            ("name", "id"),
            ("created_at", "id"),
            ("last_used_at", "id"),
            ("expires_at", "id"),
            ("total_calls", "id"),
            # A service account's keys, newest first (`ServiceAccount.apiKeys`, and revoking
            # them when the account is deleted).
            ("service_account_id", "id"),
        )

    @property
    def masked_key(self) -> str:
        return f"{self.key_prefix}…{self.key_last_four}"


class ApiKeyUsageDay(Model):
    # One row per key and UTC day, so usage and metrics cost the same however many calls.

    id = fields.BigIntField(primary_key=True)
    api_key: fields.ForeignKeyRelation[ApiKey] = fields.ForeignKeyField(
        "models.ApiKey", related_name="usage_days", on_delete=fields.CASCADE
    )
    day = fields.DateField(db_index=True)
    calls = fields.BigIntField(default=0)

    api_key_id: int

    class Meta:
        table = "api_key_usage_days"
        unique_together = (("api_key", "day"),)


class ApiCallDay(Model):
    # Calls by every key per UTC day, kept beside the per-key rows so that `apiCallsToday`
    # is one row's read however many keys there are. Deleting a key leaves it as it is:
    # the calls were made.

    day = fields.DateField(primary_key=True)
    calls = fields.BigIntField(default=0)

    class Meta:
        table = "api_call_days"
