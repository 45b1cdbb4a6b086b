"""Argon2id password hashing, always off the event loop: one hash costs ~150 ms of CPU."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.config import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from core.errors import bad_input

T = TypeVar("T")

# Argon2 threads run at this niceness, the event loop at 0: when both want the same core
# (a login flood on a server whose process is pinned to one core), the scheduler gives the
# loop about nine tenths of it, so key-authenticated requests keep their latency and logins
# slow down instead. Idle cores still run Argon2 at full speed.
HASHER_NICENESS = 10
_hasher_threads: ThreadPoolExecutor | None = None


def _lower_own_priority() -> None:
    # Linux keeps a nice value per thread, and `setpriority` with a thread id sets that
    # thread's alone. Elsewhere this is a no-op.
    with suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHER_NICENESS)


async def run_hasher(function: Callable[..., T], *args: object) -> T:
    """Run Argon2 work off the event loop, on threads of lower priority than the loop."""
    global _hasher_threads
    if _hasher_threads is None:
        _hasher_threads = ThreadPoolExecutor(
            max_workers=os.cpu_count() or 1,
            thread_name_prefix="argon2",
            initializer=_lower_own_priority,
        )
    return await asyncio.get_running_loop().run_in_executor(_hasher_threads, function, *args)


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
    return await run_hasher(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> Verification:
    """Check a password; `new_hash` is set when the stored hash used older parameters."""
    hasher = _hasher
    return await run_hasher(_verify, hasher, password_hash or _dummy_hash, password)


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
