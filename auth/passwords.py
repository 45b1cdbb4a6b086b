"""Argon2id password hashing, always off the event loop: one hash costs ~150 ms of CPU."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.config import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from core.errors import bad_input
from core.metrics import PASSWORD_HASHES_IN_PROGRESS


@dataclass(frozen=True)
class Verification:
    ok: bool
    new_hash: str | None = None


_hasher = PasswordHasher()
# Verified when an email is unknown, so that a wrong email costs as long as a wrong password.
_dummy_hash = _hasher.hash("gatehouse-dummy-password")


def configure(time_cost: int, memory_cost_kib: int, parallelism: int) -> None:
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
    )
    _dummy_hash = _hasher.hash("gatehouse-dummy-password")


def validate_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise bad_input(
            f"A password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long."
        )


async def hash_password(password: str) -> str:
    validate_password(password)
    with PASSWORD_HASHES_IN_PROGRESS.track_inprogress():
        return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> Verification:
    """Check a password; `new_hash` is set when the stored hash used older parameters."""
    hasher = _hasher
    with PASSWORD_HASHES_IN_PROGRESS.track_inprogress():
        return await asyncio.to_thread(_verify, hasher, password_hash or _dummy_hash, password)


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> Verification:
    try:
        hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Verification(ok=False)
    if password_hash is _dummy_hash:
        return Verification(ok=False)
    if hasher.check_needs_rehash(password_hash):
        return Verification(ok=True, new_hash=hasher.hash(password))
    return Verification(ok=True)
