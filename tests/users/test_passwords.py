"""Argon2 runs on threads of lower priority than the event loop, so that a login flood on a
busy core slows logins rather than every other request."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from auth.passwords import ARGON2_NICENESS
from auth.runtime import current, hash_password, verify_password

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="SKIPPED: per-thread nice values are a Linux feature"
)


def _own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


async def test_argon2_threads_run_at_a_lower_priority_than_the_event_loop() -> None:
    loop_niceness = _own_niceness()

    hasher_niceness = await current().passwords.pool.run(_own_niceness)

    assert hasher_niceness >= ARGON2_NICENESS
    assert hasher_niceness > loop_niceness
    assert _own_niceness() == loop_niceness


async def test_passwords_hash_and_verify_on_the_hasher_threads() -> None:
    stored = await hash_password("a long enough password")

    assert (await verify_password(stored, "a long enough password")).ok
    assert not (await verify_password(stored, "another long password")).ok
