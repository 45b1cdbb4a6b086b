"""API keys with their owners as the credential path reads them: one statement, plain rows.

Every key call and every verification reads a key and whom it acts for. Hydrating model
instances for that cost more than the rules need (a `POST /v1/keys/verify` read two keys and
two owners, four instances, to look at a dozen columns), so the rows become small frozen
`KeyRow`s and `OwnerRow`s holding just what the rules read, each value converted as the
ORM converts it. The whole row is kept, and `FoundKey.models()` hydrates the model
instances a queryset would have returned, for the callers that hand them on.

One statement finds the keys of several secrets at once (a verification's root key and the
key it verifies): the same WHERE as for one, with IN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.fields import Field
from tortoise.fields.data import CharEnumFieldInstance
from tortoise.models import Model

from core.enums import KeyOwnerType, Role, UserStatus
from models.api_keys import ApiKey, KeyStanding
from models.reads import read
from models.service_accounts import ServiceAccount
from models.users import User, decode_roles

Convert = Callable[[Any], Any]


def _converter(model: type[Model], column: str) -> Convert | None:
    """The conversion `Model._init_from_db` applies to the column's value; None for none."""
    meta = model._meta
    for key, _, _ in meta.db_native_fields:
        if key == column:
            return None
    for key, _, model_field in meta.db_default_fields:
        if key == column:
            return _by_type(model_field)
    field_object: Field[Any] = meta.fields_map[meta.fields_db_projection_reverse[column]]
    if isinstance(field_object, CharEnumFieldInstance):
        return _enum_member(field_object)
    return field_object.to_python_value


def _enum_member(field_object: CharEnumFieldInstance) -> Convert:
    """The field's own conversion, its members found by value without calling the enum."""
    members = field_object.enum_type._value2member_map_
    convert = field_object.to_python_value

    def member(value: Any) -> Any:
        found = members.get(value)
        return convert(value) if found is None else found

    return member


def _by_type(model_field: Field[Any]) -> Convert:
    field_type = model_field.field_type
    return lambda value: value if value is None else field_type(value)


@dataclass(frozen=True, slots=True)
class KeyRow(KeyStanding):
    """The columns of an API key that authenticating and verifying it read, and what they
    say, as the model says it (`models.api_keys.KeyStanding`)."""

    id: int
    name: str
    scopes_encoded: str
    owner_type: str
    expires_at: datetime | None
    revoked_at: datetime | None
    disabled_at: datetime | None
    rate_limit_per_minute: int | None
    allowed_cidrs_encoded: str | None
    permissions_encoded: str | None
    remaining: int | None
    refill_amount: int | None
    refill_interval: str | None
    refilled_at: datetime | None


@dataclass(frozen=True, slots=True)
class OwnerRow:
    """Whom a key acts for: a user (`name` is the display name) or a service account."""

    type: KeyOwnerType
    id: int
    name: str
    status: UserStatus
    roles_encoded: str

    @property
    def roles(self) -> list[Role]:
        return decode_roles(self.roles_encoded)

    @property
    def role(self) -> Role | None:
        return max(self.roles, key=lambda role: role.rank, default=None)


class FoundKey:
    """A key a secret named, and whom it acts for (`owner`): a service account's key its
    account (whoever created it, even a deleted user), any other key the user who created
    it; None once that owner is gone."""

    __slots__ = ("_statement", "_values", "key", "owner")

    def __init__(self, statement: _KeyStatement, values: tuple[Any, ...]) -> None:
        self._statement, self._values = statement, values
        self.key, self.owner = statement.rows(values)

    @property
    def current_secret_hash(self) -> str:
        """The hash of the key's secret now: another than the one asked for when the key was
        found by the secret it was rolled from (`auth.key_cache` keeps only this one)."""
        return self._statement.current_secret_hash(self._values)

    def owner_model(self) -> User | ServiceAccount | None:
        """The owner as the model instance a queryset returns."""
        if self.owner is None:
            return None
        return self._statement.owner_model(self.owner.type, self._values)


@dataclass(frozen=True)
class KeysRead:
    """What one statement found at `now`: the key each hash of `asked` names, if any."""

    now: datetime
    asked: frozenset[str]
    found: dict[str, FoundKey]


_KEY_FIELDS = tuple(KeyRow.__dataclass_fields__)
_OWNER_FIELDS = ("id", "status", "roles_encoded")


class _KeyStatement:
    """The SELECT of keys with both their possible owners, built on first use (the models'
    column lists exist once Tortoise is initialised): the key's columns the rules read, and
    every column of each owner, to hydrate it."""

    def __init__(self) -> None:
        self._sql: dict[int, str] = {}
        self._built = False

    def _build(self) -> None:
        key_meta, user_meta, account_meta = ApiKey._meta, User._meta, ServiceAccount._meta
        key_columns = [key_meta.fields_db_projection[name] for name in _KEY_FIELDS]
        key_columns += ["key_hash", "previous_key_hash"]
        self._key_hash_at, self._previous_at = len(key_columns) - 2, len(key_columns) - 1
        self._key_reads = _reads(ApiKey, key_columns, 0, _KEY_FIELDS)
        self._user_at = len(key_columns)
        self._user_columns = sorted(user_meta.db_fields)
        self._account_at = self._user_at + len(self._user_columns)
        self._account_columns = sorted(account_meta.db_fields)
        self._end = self._account_at + len(self._account_columns)
        self._user_reads = _reads(
            User, self._user_columns, self._user_at, (*_OWNER_FIELDS, "display_name")
        )
        self._account_reads = _reads(
            ServiceAccount, self._account_columns, self._account_at, (*_OWNER_FIELDS, "name")
        )
        self._user_pk = self._user_at + self._user_columns.index(user_meta.db_pk_column)
        self._account_pk = self._account_at + self._account_columns.index(account_meta.db_pk_column)
        selected = [f'm."{column}"' for column in key_columns]
        selected += [f'r."{column}"' for column in self._user_columns]
        selected += [f's."{column}"' for column in self._account_columns]
        # Last: whether the previous secret still names the key (its grace period's end).
        selected.append('m."previous_secret_expires_at" > ?')
        self._select = (
            f"SELECT {', '.join(selected)} "  # noqa: S608 - names from the models' metadata
            f'FROM "{key_meta.db_table}" m '
            f'LEFT JOIN "{user_meta.db_table}" r ON r."{user_meta.db_pk_column}" = '
            f'm."{key_meta.fields_db_projection["created_by_id"]}" '
            f'LEFT JOIN "{account_meta.db_table}" s '
            f'ON s."{account_meta.db_pk_column}" = '
            f'm."{key_meta.fields_db_projection["service_account_id"]}" '
        )
        self._expiry = key_meta.fields_map["previous_secret_expires_at"]
        self._built = True

    def _sql_for(self, count: int) -> str:
        sql = self._sql.get(count)
        if sql is None:
            marks = ", ".join("?" * count)
            # After a roll the previous secret still names the key until its grace period ends.
            sql = self._sql[count] = (
                f'{self._select}WHERE m."key_hash" IN ({marks}) OR '
                f'(m."previous_key_hash" IN ({marks}) AND m."previous_secret_expires_at" > ?)'
            )
        return sql

    async def find(self, secret_hashes: Sequence[str], now: datetime) -> KeysRead:
        if not self._built:
            self._build()
        hashes = list(dict.fromkeys(secret_hashes))
        expiry = self._expiry.to_db_value(now, ApiKey)
        parameters = [expiry, *hashes, *hashes, expiry]
        rows = [tuple(row) for row in await read(self._sql_for(len(hashes)), parameters)]
        found: dict[str, FoundKey] = {}
        # A secret names the key whose current secret it is before one it was rolled from.
        for values in rows:
            if values[self._key_hash_at] in hashes:
                found[values[self._key_hash_at]] = FoundKey(self, values)
        for values in rows:
            previous = values[self._previous_at]
            if previous in hashes and values[-1] and previous not in found:
                found[previous] = FoundKey(self, values)
        return KeysRead(now, frozenset(hashes), found)

    def current_secret_hash(self, values: tuple[Any, ...]) -> str:
        secret_hash: str = values[self._key_hash_at]
        return secret_hash

    def rows(self, values: tuple[Any, ...]) -> tuple[KeyRow, OwnerRow | None]:
        key = KeyRow(*_values(values, self._key_reads))
        owner = None
        if key.owned_by_service_account:
            if values[self._account_pk] is not None:
                owner = _owner(KeyOwnerType.SERVICE_ACCOUNT, self._account_reads, values)
        elif values[self._user_pk] is not None:
            owner = _owner(KeyOwnerType.USER, self._user_reads, values)
        return key, owner

    def owner_model(self, kind: KeyOwnerType, values: tuple[Any, ...]) -> User | ServiceAccount:
        if kind == KeyOwnerType.SERVICE_ACCOUNT:
            account_values = values[self._account_at : self._end]
            return ServiceAccount._init_from_db(
                **dict(zip(self._account_columns, account_values, strict=True))
            )
        user_values = values[self._user_at : self._account_at]
        return User._init_from_db(**dict(zip(self._user_columns, user_values, strict=True)))


def _owner(
    kind: KeyOwnerType, reads: list[tuple[int, Convert | None]], values: tuple[Any, ...]
) -> OwnerRow:
    pk, status, roles_encoded, name = _values(values, reads)
    return OwnerRow(kind, pk, name, status, roles_encoded)


def _values(values: tuple[Any, ...], reads: list[tuple[int, Convert | None]]) -> list[Any]:
    return [values[at] if convert is None else convert(values[at]) for at, convert in reads]


def _reads(
    model: type[Model], columns: list[str], start: int, fields: Sequence[str]
) -> list[tuple[int, Convert | None]]:
    """Where each of `fields` is in a row, and how its value is converted."""
    projection = model._meta.fields_db_projection
    reads = []
    for name in fields:
        column = projection[name]
        reads.append((start + columns.index(column), _converter(model, column)))
    return reads


_KEYS_WITH_OWNERS = _KeyStatement()


async def find_keys(secret_hashes: Sequence[str], now: datetime) -> KeysRead:
    """The keys the secrets' hashes name (a previous secret's too, within its grace period),
    each with both its possible owners, in one statement."""
    return await _KEYS_WITH_OWNERS.find(secret_hashes, now)
