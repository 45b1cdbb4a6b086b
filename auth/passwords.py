"""Argon2id password hashing, always off the event loop: one hash costs ~150 ms of CPU.

The work runs in a bounded pool (`PASSWORD_HASH_CONCURRENCY` threads). A login flood would
otherwise queue unbounded CPU work and starve every other request; when the pool stays
busy for `PASSWORD_HASH_QUEUE_SECONDS`, the caller gets RATE_LIMITED instead of waiting on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.config import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, Argon2Settings
from core.errors import RateLimitedError, bad_input
from core.metrics import (
    PASSWORD_HASH_REFUSALS,
    PASSWORD_HASHES_IN_PROGRESS,
    PASSWORD_HASHES_WAITING,
)
from core.text import has_control_characters

T = TypeVar("T")


@dataclass(frozen=True)
class Verification:
    ok: bool
    new_hash: str | None = None


@dataclass(frozen=True)
class PoolStats:
    size: int
    in_use: int
    waiting: int


class HashPool:
    def __init__(self, size: int, queue_seconds: float) -> None:
        self.size = size
        self.queue_seconds = queue_seconds
        self._executor = ThreadPoolExecutor(
            max_workers=size, thread_name_prefix="argon2", initializer=_yield_to_requests
        )
        # One semaphore per event loop: the tests run many loops, a server one.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self.in_use = 0
        self.waiting = 0

    async def run(self, work: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        slots = self._slots.setdefault(loop, asyncio.Semaphore(self.size))
        self.waiting += 1
        PASSWORD_HASHES_WAITING.inc()
        try:
            async with asyncio.timeout(self.queue_seconds):
                await slots.acquire()
        except TimeoutError:
            PASSWORD_HASH_REFUSALS.inc()
            raise RateLimitedError(
                self.queue_seconds, "Too many sign-ins at once; try again shortly."
            ) from None
        finally:
            self.waiting -= 1
            PASSWORD_HASHES_WAITING.dec()
        self.in_use += 1
        try:
            with PASSWORD_HASHES_IN_PROGRESS.track_inprogress():
                return await loop.run_in_executor(self._executor, work, *args)
        finally:
            self.in_use -= 1
            slots.release()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


# Argon2 runs `parallelism` threads of its own per hash, which would take the CPU from the
# event loop serving every other request. At this niceness (inherited by those threads), when
# both want the same core the scheduler gives the loop about nine tenths of it, so key
# requests keep their latency during a login flood and logins slow down instead; on an
# idle machine Argon2 still runs at full speed. Not the lowest priority, so that logins are
# not starved by a busy neighbour on a shared host.
ARGON2_NICENESS = 10


def _yield_to_requests() -> None:
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            # On Linux, PRIO_PROCESS with a thread id sets that thread's niceness alone.
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ARGON2_NICENESS)


class PasswordHashing:
    """The Argon2id parameters and the pool the hashes run in: one per process, held by
    its `Runtime` (auth/runtime.py)."""

    def __init__(self, settings: Argon2Settings) -> None:
        self.hasher = PasswordHasher(
            time_cost=settings.time_cost,
            memory_cost=settings.memory_cost_kib,
            parallelism=settings.parallelism,
        )
        # Verified when an email is unknown, so that a wrong email costs as long as a
        # wrong password.
        self.dummy_hash = self.hasher.hash("gatehouse-dummy-password")
        self.pool = HashPool(settings.concurrency, settings.queue_seconds)

    def stats(self) -> PoolStats:
        """Operations hashing now and waiting for a slot, for metrics."""
        return PoolStats(size=self.pool.size, in_use=self.pool.in_use, waiting=self.pool.waiting)

    async def hash(self, password: str) -> str:
        validate_password(password)
        return await self.pool.run(self.hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> Verification:
        """Check a password; `new_hash` is set when the stored hash used older parameters."""
        return await self.pool.run(self._verify, password_hash or self.dummy_hash, password)

    def _verify(self, password_hash: str, password: str) -> Verification:
        try:
            self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(ok=False)
        if password_hash is self.dummy_hash:
            return Verification(ok=False)
        if self.hasher.check_needs_rehash(password_hash):
            return Verification(ok=True, new_hash=self.hasher.hash(password))
        return Verification(ok=True)

    def close(self) -> None:
        self.pool.shutdown()


def validate_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise bad_input(
            f"A password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long."
        )
    # Any printable character will do; a control character (NUL, a tab, an escape) cannot
    # be typed back reliably on every keyboard and client, so it never becomes a password.
    if has_control_characters(password):
        raise bad_input("A password must not contain control characters.")
