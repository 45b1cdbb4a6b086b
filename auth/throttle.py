"""Brute-force defence for every password check: per account and per client address.

Only a wrong password counts. A refused attempt (a lock, a busy Argon2 pool) and a right
password never do, so an office signing in at once behind one address, or one person with
several tabs, is never locked out by its own successes.

Past `LOGIN_MAX_FAILURES_PER_*` failures within `LOGIN_FAILURE_WINDOW_SECONDS`, the account
(or address) is locked for `LOGIN_LOCK_SECONDS`, doubled for every further lock within a
day and capped at a day. A locked subject is refused with `RateLimitedError` before any
password is verified (a lock costs no Argon2), and accounts are counted by the email as
typed (normalised), whether or not it exists, so the refusal never tells which emails are
real.

Counting after the check opens a race: parallel guesses would all pass the lock check
before the first of them is counted. So each attempt also holds an *in-flight* mark for its
account and address while its password is verified, and is let in only while the subject's
failures plus its attempts in flight stay within the limit: with 4 failures of 5 allowed,
one attempt at a time. However many guesses arrive at once, across any number of
processes, at most the allowed number are verified before the lock. An attempt that may
not go in yet waits (polling, at most `PASSWORD_HASH_QUEUE_SECONDS`) for one in flight to
end, so parallel right passwords are served a few at a time rather than refused; past that
wait it is refused RATE_LIMITED, uncounted. The marks are counters like the failures, in
the same storage; should a process die mid-attempt, its mark ends with the counter's
window (`IN_FLIGHT_SECONDS`).

Usage, for `login` and anything else that checks a password (e.g. changePassword):

    async with runtime.throttle.attempt(email, actor.client_address) as attempt:  # may refuse
        if not (await runtime.passwords.verify(...)).ok:
            await attempt.failed()
            raise ...
        await attempt.succeeded()
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
import random
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from limits.aio.storage import Storage

from auth.rate_limits import Limiter, now
from core.config import LoginPolicySettings
from core.errors import RateLimitedError

STRIKE_MEMORY_SECONDS = 86_400
MAX_LOCK_SECONDS = 86_400
IPV6_PREFIX_LENGTH = 64  # one subscriber's allocation: an attacker holds every address in it
TOO_MANY_ATTEMPTS = "Too many failed sign-in attempts; try again in {seconds} seconds."
TOO_MANY_AT_ONCE = "Too many sign-ins at once for this account or address; try again shortly."
# Longer than any one verification (its wait for Argon2 included), so that a live attempt's
# mark outlasts it; a dead process's mark is gone after this.
IN_FLIGHT_SECONDS = 300
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class LoginPolicy:
    max_failures_per_account: int = 5
    max_failures_per_address: int = 30
    failure_window_seconds: int = 900
    lock_seconds: int = 900
    # How long an attempt waits for one in flight to end, as long as for an Argon2 slot.
    wait_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: LoginPolicySettings) -> LoginPolicy:
        return cls(
            max_failures_per_account=settings.max_failures_per_account,
            max_failures_per_address=settings.max_failures_per_address,
            failure_window_seconds=settings.failure_window_seconds,
            lock_seconds=settings.lock_seconds,
            wait_seconds=settings.wait_seconds,
        )


_CLOCK_SLACK_SECONDS = 0.01


def account_subject(email: str) -> str:
    # Hashed: the counters (a table or Redis) need not hold anyone's email in clear.
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def address_subject(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        key = address
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            key = str(ip.ipv4_mapped)
        elif isinstance(ip, ipaddress.IPv6Address):
            key = str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX_LENGTH}", strict=False))
        else:
            key = str(ip)
    return "address:" + hashlib.sha256(key.encode()).hexdigest()


def _failures(subject: str) -> str:
    return f"login/failures/{subject}"


def _lock(subject: str) -> str:
    return f"login/lock/{subject}"


def _strikes(subject: str) -> str:
    return f"login/strikes/{subject}"


def _in_flight(subject: str) -> str:
    return f"login/in-flight/{subject}"


class ThrottledError(RateLimitedError):
    """The throttle refused the attempt before its password was checked."""


@dataclass
class PasswordAttempt:
    throttle: LoginThrottle
    # None for a guess that names no account: only the address counts.
    account: str | None
    # (subject, its limit), address first: the order every attempt takes its marks in.
    subjects: list[tuple[str, int]] = field(default_factory=list)
    outcome_counted: bool = False

    async def failed(self) -> None:
        """The password was wrong (or the sign-in failed for any reason it does not tell):
        count one failure for the account and the address, and lock whichever this failure
        brings to its limit."""
        if self.outcome_counted:
            return
        self.outcome_counted = True
        storage = self.throttle.storage
        window = self.throttle.policy.failure_window_seconds
        for subject, maximum in self.subjects:
            failures = await storage.incr(_failures(subject), window)
            if failures == maximum:
                # Exactly one failure per window brings the count to the limit: one lock, once.
                await self.throttle._start_lock(subject)

    async def succeeded(self) -> None:
        """The password was right: forget the account's failures (the address's stay: they
        were other accounts' failures)."""
        if self.outcome_counted:
            return
        self.outcome_counted = True
        if self.account is not None:
            await self.throttle.storage.clear(_failures(self.account))
        await self.throttle.limiter.prune()


class LoginThrottle:
    """The login policy over the limiter's storage: one per process, held by its `Runtime`."""

    def __init__(self, limiter: Limiter, policy: LoginPolicy) -> None:
        self.limiter = limiter
        self.policy = policy

    @property
    def storage(self) -> Storage:
        return self.limiter.storage

    def attempt(
        self, email: str, client_address: str | None
    ) -> AbstractAsyncContextManager[PasswordAttempt]:
        """Let one password check in, or refuse it with `ThrottledError` (no verification,
        and nothing counted) while the account or address is locked or at its limit.
        Inside, call `failed()` or `succeeded()`; an attempt that ends otherwise (a busy
        Argon2 pool, an error) counts nothing. The in-flight marks go on leaving the block,
        whatever happens."""
        account = account_subject(email)
        subjects = [(account, self.policy.max_failures_per_account)]
        if client_address:
            subjects.insert(
                0, (address_subject(client_address), self.policy.max_failures_per_address)
            )
        return self._attempt(subjects, account)

    def address_attempt(
        self, client_address: str | None
    ) -> AbstractAsyncContextManager[PasswordAttempt]:
        """As `attempt`, for a guess at a secret that names no account (an invitation's
        token): counted for the client address alone, with the sign-in failures of that
        address. Without an address, every such guess shares one count."""
        subject = address_subject(client_address or "unknown")
        return self._attempt([(subject, self.policy.max_failures_per_address)], None)

    @asynccontextmanager
    async def _attempt(
        self, subjects: list[tuple[str, int]], account: str | None
    ) -> AsyncIterator[PasswordAttempt]:
        await self._enter(subjects)
        try:
            yield PasswordAttempt(throttle=self, account=account, subjects=subjects)
        finally:
            # After `failed()` has counted: a failure in flight is never out of both counts.
            for subject, _ in subjects:
                await self._leave(subject)

    async def _enter(self, subjects: list[tuple[str, int]]) -> None:
        # The loop's monotonic clock: tests freeze the wall clock, and a wait must still end.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.wait_seconds
        while True:
            wait = max([await self._seconds_locked(subject) for subject, _ in subjects])
            if wait > 0:
                raise _refusal(wait)
            entered: list[str] = []
            for subject, maximum in subjects:
                verdict = await self._try_enter(subject, maximum)
                if verdict > 0:  # at its limit with no lock: until the failures' window ends
                    for other in entered:
                        await self._leave(other)
                    raise _refusal(verdict)
                if verdict < 0:
                    break
                entered.append(subject)
            if len(entered) == len(subjects):
                return
            for subject in entered:
                await self._leave(subject)
            if loop.time() >= deadline:
                raise ThrottledError(1, TOO_MANY_AT_ONCE)
            # Not for security: the jitter spreads the waiting attempts' polls apart.
            await asyncio.sleep(random.uniform(POLL_SECONDS / 2, POLL_SECONDS))  # noqa: S311

    async def _try_enter(self, subject: str, maximum: int) -> float:
        """0 when the attempt is let in (its mark taken), -1 when it must wait for one in
        flight to end, else the seconds until the subject's failures' window ends."""
        failures = await self.storage.get(_failures(subject))
        if failures >= maximum:
            # Locked once, the lock ended, the window has not (a window longer than the lock).
            window_left = await self.storage.get_expiry(_failures(subject)) - now()
            return max(window_left, 1.0)
        in_flight = await self.storage.incr(_in_flight(subject), IN_FLIGHT_SECONDS)
        # Read after the mark: a failure is counted before its mark goes, so an attempt
        # ending meanwhile is seen once or twice here, never not at all.
        failures = await self.storage.get(_failures(subject))
        if failures + in_flight <= maximum:
            return 0.0
        await self._leave(subject)
        return -1.0

    async def _leave(self, subject: str) -> None:
        left = await self.storage.incr(_in_flight(subject), IN_FLIGHT_SECONDS, -1)
        if left < 0:
            # The mark's window ended while attempts were in flight, and their marks went
            # with it: put the count back to zero rather than let it go below.
            await self.storage.incr(_in_flight(subject), IN_FLIGHT_SECONDS, -left)

    async def lift_lock(self, email: str) -> None:
        """The password was reset (by a super-admin or the CLI): the account may sign in
        again at once, with a clean slate."""
        account = account_subject(email)
        for bucket in (_failures(account), _lock(account), _strikes(account)):
            await self.storage.clear(bucket)

    async def _seconds_locked(self, subject: str) -> float:
        # Both storages give a missing (or ended) lock the expiry "now": one round trip.
        # Redis reads "now" from time.time(), which can be a microsecond ahead of our
        # clock's datetime, and a live lock has at least a whole second left: ignore a sliver.
        remaining = await self.storage.get_expiry(_lock(subject)) - now()
        return remaining if remaining >= _CLOCK_SLACK_SECONDS else 0.0

    async def _start_lock(self, subject: str) -> None:
        strikes = await self.storage.incr(_strikes(subject), STRIKE_MEMORY_SECONDS)
        lock_seconds = min(self.policy.lock_seconds * 2 ** min(strikes - 1, 32), MAX_LOCK_SECONDS)
        await self.storage.incr(_lock(subject), lock_seconds)


def _refusal(seconds: float) -> ThrottledError:
    whole_seconds = max(1, math.ceil(seconds - _CLOCK_SLACK_SECONDS))
    return ThrottledError(whole_seconds, TOO_MANY_ATTEMPTS.format(seconds=whole_seconds))
