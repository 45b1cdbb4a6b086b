"""The keys verifications found lately, kept for half a second: a per-process cache of
`models.key_rows.find_keys` for the verification paths only.

`POST /v1/keys/verify` reads its root key and the key it verifies on every request, and
that one statement was most of its cost (aiosqlite's hop to its thread and back). A
verifier asks about the same few keys again and again, so the `FoundKey` a read returned is
kept, under the secret's hash, and used again for at most `MAX_AGE` seconds after the read
began. Gatehouse's own authentication (`auth.api_keys.authenticate_api_key`, sessions)
never uses it: it reads the database on every request.

What is kept: a key found by its current secret, with its owner's row. What is not:
- "not found": random secrets would fill the memory, and a new key would stay unknown;
- a key found by the secret it was rolled from (its grace period ends in the database's
  clock, checked by the read);
- a key with credits (`remaining` set): its answer's `remaining` must be exact, and
  spending reads the database anyway.
Everything else a verification decides stays per request: expiry against the request's
`now` from the row's `expires_at`, the allow-list, permissions, the rate limit, credits,
the counting of both keys' calls, the audit.

How changes arrive, besides the age:
- every signal (`auth.signals`) but CALLS and AUDIT clears the whole cache: changes are
  rare, verifications many, and a user's or service account's change reaches all its keys.
  The GraphQL mutations publish through `schema.changes.publish_changes` (a key revoked,
  deleted, rolled, updated, disabled or enabled; a user updated, deleted or given a new
  password; a service account created, updated or deleted; and any mutation of a signed-in
  user names that user, except `verifyApiKey`, whose signal is CALLS), so the process that
  made the change clears its cache as it publishes, and every other process when the
  notification arrives (PostgreSQL LISTEN/NOTIFY or Redis pub/sub, well under a second);
  a listener back from an outage delivers EVERYTHING, which clears too;
- a read that began before a clear is not kept (`generation`): it may hold the row from
  before the change;
- what publishes nothing is seen within `MAX_AGE`: the CLI (`gatehouse keys revoke`,
  `sweep-keys` revoking unused keys, `create-user`, `reset-password`, `reset-mfa`), SQL
  run by hand, and a process whose listener is disconnected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from auth.signals import AUDIT, CALLS, Signal
from models.key_rows import FoundKey, KeysRead, find_keys

MAX_AGE = 0.5
MAX_ENTRIES = 10_000
# A key's calls counted and an audit event written change no key, owner or role.
_SIGNALS_THAT_CHANGE_NOTHING_CACHED = frozenset({CALLS, AUDIT})


class KeyCache:
    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries, self.max_age, self._clock = max_entries, max_age, clock
        # secret hash -> (when the read that found it began, the key); oldest first.
        self._entries: dict[str, tuple[float, FoundKey]] = {}
        # Moves on every clear: a read begun under an older one is not kept.
        self.generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, secret_hash: str) -> bool:
        return secret_hash in self._entries

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    def hear(self, signal: Signal) -> None:
        """A listener of the signal bus (`auth.signals.SignalBus.listen`)."""
        if signal.topic not in _SIGNALS_THAT_CHANGE_NOTHING_CACHED:
            self.clear()

    async def find_keys(self, secret_hashes: Sequence[str], now: datetime) -> KeysRead:
        """`models.key_rows.find_keys`, each hash answered from the cache while its entry
        is fresh, the others read in one statement."""
        began = self._clock()
        generation = self.generation
        found: dict[str, FoundKey] = {}
        missing: list[str] = []
        for secret_hash in secret_hashes:
            entry = self._entries.get(secret_hash)
            if entry is not None and began - entry[0] <= self.max_age:
                found[secret_hash] = entry[1]
            else:
                missing.append(secret_hash)
        if missing:
            read = await find_keys(missing, now)
            if generation == self.generation:
                self._keep(read.found, began)
            found.update(read.found)
        return KeysRead(now, frozenset(secret_hashes), found)

    async def find_key(self, secret_hash: str, now: datetime) -> FoundKey | None:
        return (await self.find_keys((secret_hash,), now)).found.get(secret_hash)

    def _keep(self, found: Mapping[str, FoundKey], read_began: float) -> None:
        entries = self._entries
        for secret_hash, key in found.items():
            if key.key.remaining is not None or key.current_secret_hash != secret_hash:
                continue
            # Re-inserted, so that the dict's order stays the order of the reads.
            entries.pop(secret_hash, None)
            if len(entries) >= self.max_entries:
                del entries[next(iter(entries))]
            entries[secret_hash] = (read_began, key)
