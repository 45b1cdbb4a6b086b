"""Counts of API keys kept by the database itself, so that `keyMetrics` reads one row and
a short index range instead of counting every key.

Triggers on `api_keys` (made by migration 0016, and by `install_key_tallies` for databases
made from the models) keep the single row's counts in the transaction of every change of a
key, whoever makes it: the API, the CLI, the sweeps, an older release, a hand-written
statement. The row counts every key, the revoked ones, the disabled ones not revoked, and
of the live (unrevoked) keys those that expire at or before the row's `expired_before`.
Keys expiring after that mark are counted at the read over a partial index of the live keys
that have an expiry (resolvers.metrics), and `advance_expired_before` moves the mark up to
now, tallying the keys it passes, once enough of them have expired past it: the range read
stays short however many keys expire over the years.

On PostgreSQL the triggers are deferred to the commit, so the row is always the last lock a
transaction takes: two transactions never each hold a lock the other waits for (a key's row
and this one), whatever order they change keys in. Key changes are rare, so their queueing
on this row costs nothing; the call counter changes no counted column and never touches it.
Moving the mark locks the row first, then counts in a statement of its own that sees every
change committed before it: a change committing later meets the new mark in its trigger.
"""

from __future__ import annotations

from datetime import datetime

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.api_keys import ApiKey
from models.conflicts import retry_on_conflict

TALLY_ID = 1
# The partial index the time-dependent counts read (by name on SQLite: INDEXED BY).
# revoked_at, always null in it, makes it covering: SQLite reads no row of the table.
LIVE_EXPIRY_INDEX = "api_keys_live_expiry"
LIVE_EXPIRY_FILTER = "revoked_at IS NULL AND expires_at IS NOT NULL"

_CREATE_INDEX = (
    f"CREATE INDEX {LIVE_EXPIRY_INDEX} ON api_keys (expires_at, disabled_at, revoked_at) "
    f"WHERE {LIVE_EXPIRY_FILTER}"
)
_EXPIRED = "revoked_at IS NULL AND expires_at <= ?"
_BACKFILL = (
    "INSERT INTO key_tallies (id, total_keys, revoked_keys, disabled_keys, expired_keys, "  # noqa: S608
    f"expired_disabled_keys, expired_before) SELECT {TALLY_ID}, COUNT(*), "
    "COUNT(CASE WHEN revoked_at IS NOT NULL THEN 1 END), "
    "COUNT(CASE WHEN revoked_at IS NULL AND disabled_at IS NOT NULL THEN 1 END), "
    f"COUNT(CASE WHEN {_EXPIRED} THEN 1 END), "
    f"COUNT(CASE WHEN {_EXPIRED} AND disabled_at IS NOT NULL THEN 1 END), ? "
    "FROM api_keys"
)


def _shares(row: str) -> dict[str, str]:
    """Each tallied count's share of one key `row` (NEW or OLD), 1 or 0; the mark is the
    tally row's own column, read as the UPDATE finds the row."""
    live = f"{row}.revoked_at IS NULL"
    expired = f"{live} AND {row}.expires_at <= expired_before"
    conditions = {
        "revoked_keys": f"{row}.revoked_at IS NOT NULL",
        "disabled_keys": f"{live} AND {row}.disabled_at IS NOT NULL",
        "expired_keys": expired,
        "expired_disabled_keys": f"{expired} AND {row}.disabled_at IS NOT NULL",
    }
    return {column: f"(CASE WHEN {test} THEN 1 ELSE 0 END)" for column, test in conditions.items()}


def _update(*, added: bool, removed: bool) -> str:
    """The tally row's UPDATE for a key added (NEW), removed (OLD), or changed (both)."""
    changes = [] if added and removed else [f"total_keys = total_keys {'+' if added else '-'} 1"]
    new, old = _shares("NEW"), _shares("OLD")
    for column in new:
        plus = f" + {new[column]}" if added else ""
        minus = f" - {old[column]}" if removed else ""
        changes.append(f"{column} = {column}{plus}{minus}")
    return f"UPDATE key_tallies SET {', '.join(changes)} WHERE id = {TALLY_ID}"  # noqa: S608


_COUNTED_COLUMNS = "revoked_at, disabled_at, expires_at"
_SQLITE = [
    _CREATE_INDEX,
    "CREATE TRIGGER key_tallies_insert AFTER INSERT ON api_keys BEGIN "
    f"{_update(added=True, removed=False)}; END",
    "CREATE TRIGGER key_tallies_delete AFTER DELETE ON api_keys BEGIN "
    f"{_update(added=False, removed=True)}; END",
    # A change, not any write of the columns: a full save() writes them unchanged.
    f"CREATE TRIGGER key_tallies_update AFTER UPDATE OF {_COUNTED_COLUMNS} ON api_keys "
    "WHEN (OLD.revoked_at IS NULL) IS NOT (NEW.revoked_at IS NULL) "
    "OR (OLD.disabled_at IS NULL) IS NOT (NEW.disabled_at IS NULL) "
    "OR OLD.expires_at IS NOT NEW.expires_at BEGIN "
    f"{_update(added=True, removed=True)}; END",
]
_POSTGRES = [
    _CREATE_INDEX,
    "CREATE FUNCTION key_tallies_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'INSERT' THEN {_update(added=True, removed=False)}; "
    f"ELSIF TG_OP = 'DELETE' THEN {_update(added=False, removed=True)}; "
    f"ELSE {_update(added=True, removed=True)}; "
    "END IF; RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER key_tallies_insert_delete AFTER INSERT OR DELETE ON api_keys "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION key_tallies_count()",
    f"CREATE CONSTRAINT TRIGGER key_tallies_update AFTER UPDATE OF {_COUNTED_COLUMNS} "
    "ON api_keys DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ("
    "(OLD.revoked_at IS NULL) <> (NEW.revoked_at IS NULL) "
    "OR (OLD.disabled_at IS NULL) <> (NEW.disabled_at IS NULL) "
    "OR OLD.expires_at IS DISTINCT FROM NEW.expires_at"
    ") EXECUTE FUNCTION key_tallies_count()",
]
_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS key_tallies_insert",
    "DROP TRIGGER IF EXISTS key_tallies_delete",
    "DROP TRIGGER IF EXISTS key_tallies_update",
    f"DROP INDEX IF EXISTS {LIVE_EXPIRY_INDEX}",
    "DELETE FROM key_tallies",
]
_POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS key_tallies_insert_delete ON api_keys",
    "DROP TRIGGER IF EXISTS key_tallies_update ON api_keys",
    "DROP FUNCTION IF EXISTS key_tallies_count()",
    f"DROP INDEX IF EXISTS {LIVE_EXPIRY_INDEX}",
    "DELETE FROM key_tallies",
]

_PASSED = (
    "(SELECT COUNT(*) FROM api_keys WHERE {filter} "
    "AND expires_at > key_tallies.expired_before AND expires_at <= ?{disabled})"
)
_ADVANCE = (
    "UPDATE key_tallies SET "  # noqa: S608
    f"expired_keys = expired_keys + {_PASSED.format(filter=LIVE_EXPIRY_FILTER, disabled='')}, "
    "expired_disabled_keys = expired_disabled_keys + "
    + _PASSED.format(filter=LIVE_EXPIRY_FILTER, disabled=" AND disabled_at IS NOT NULL")
    + f", expired_before = ? WHERE id = {TALLY_ID} AND expired_before < ?"
)
_EXPIRES_AT = ApiKey._meta.fields_map["expires_at"]


class KeyTally(Model):
    # One row (id 1), written only by the triggers on api_keys and advance_expired_before.

    id = fields.IntField(primary_key=True, generated=False)
    total_keys = fields.BigIntField(default=0)
    revoked_keys = fields.BigIntField(default=0)
    # Disabled and not revoked, expired or not (the read takes the expired ones away).
    disabled_keys = fields.BigIntField(default=0)
    # Live keys with expires_at <= expired_before, and those of them disabled.
    expired_keys = fields.BigIntField(default=0)
    expired_disabled_keys = fields.BigIntField(default=0)
    expired_before = fields.DatetimeField()

    class Meta:
        table = "key_tallies"


def _dialect_sql(client: BaseDBAsyncClient, statement: str) -> str:
    if client.capabilities.dialect != "postgres":
        return statement
    parts = statement.split("?")
    return parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], 1))


async def install_key_tallies(client: BaseDBAsyncClient, now: datetime) -> None:
    """The triggers, the partial index and the row counted from the keys already there
    (expired as of `now`), on a database that has the `key_tallies` table and nothing else
    of them yet."""
    postgres = client.capabilities.dialect == "postgres"
    # One statement at a time: SQLite's script runner would commit the migration's
    # transaction first. The triggers come first: on PostgreSQL they lock api_keys against
    # writers until the end of the transaction, so the count misses no key written meanwhile.
    for statement in _POSTGRES if postgres else _SQLITE:
        await client.execute_query(statement)
    moment = _EXPIRES_AT.to_db_value(now, ApiKey)
    await client.execute_query(_dialect_sql(client, _BACKFILL), [moment, moment, moment])


async def remove_key_tallies(client: BaseDBAsyncClient) -> None:
    """What `install_key_tallies` made, but the table."""
    postgres = client.capabilities.dialect == "postgres"
    for statement in _POSTGRES_REMOVE if postgres else _SQLITE_REMOVE:
        await client.execute_query(statement)


async def advance_expired_before(now: datetime) -> None:
    """Move the mark up to `now`, tallying the live keys that expired since the old mark
    (never down: a clock behind another process's leaves the mark where it is)."""
    moment = _EXPIRES_AT.to_db_value(now, ApiKey)

    async def advance() -> None:
        async with in_transaction() as connection:
            if connection.capabilities.dialect == "postgres":
                await connection.execute_query(
                    f"SELECT 1 FROM key_tallies WHERE id = {TALLY_ID} FOR UPDATE"  # noqa: S608
                )
            await connection.execute_query(
                _dialect_sql(connection, _ADVANCE), [moment, moment, moment, moment]
            )

    await retry_on_conflict("advancing the key tallies' expiry mark", advance)
