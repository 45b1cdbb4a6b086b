"""Brute-force defence for every password check: per account and per client address.

Each attempt is counted *before* its password is verified, in one atomic increment, so a
flood of parallel requests across several server processes gets exactly the allowed
number of verifications and no more. A success takes its attempt back: it clears the
account's failures and returns the address's one.

Past `LOGIN_MAX_FAILURES_PER_*` failures within `LOGIN_FAILURE_WINDOW_SECONDS`, the account
(or address) is locked for `LOGIN_LOCK_SECONDS`, doubled for every further lock within a
day and capped at a day. A locked subject is refused with `RateLimitedError` before any
password is verified, and accounts are counted by the email as typed (normalised), whether
or not it exists, so the refusal never tells which emails are real.

Usage, for `login` and anything else that checks a password (e.g. changePassword):

    attempt = await start_password_attempt(email, actor.client_address)  # may refuse
    if not (await verify_password(...)).ok:
        raise ...                                     # the failure is already counted
    await attempt.succeeded()
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass

from auth.rate_limits import now, prune, storage
from core.config import Settings
from core.errors import RateLimitedError

STRIKE_MEMORY_SECONDS = 86_400
MAX_LOCK_SECONDS = 86_400
IPV6_PREFIX_LENGTH = 64  # one subscriber's allocation: an attacker holds every address in it
TOO_MANY_ATTEMPTS = "Too many failed sign-in attempts; try again in {seconds} seconds."


@dataclass(frozen=True)
class LoginPolicy:
    max_failures_per_account: int = 5
    max_failures_per_address: int = 30
    failure_window_seconds: int = 900
    lock_seconds: int = 900


_policy = LoginPolicy()


_CLOCK_SLACK_SECONDS = 0.01


def configure(settings: Settings) -> None:
    global _policy
    _policy = LoginPolicy(
        max_failures_per_account=settings.login_max_failures_per_account,
        max_failures_per_address=settings.login_max_failures_per_address,
        failure_window_seconds=settings.login_failure_window_seconds,
        lock_seconds=settings.login_lock_seconds,
    )


def policy() -> LoginPolicy:
    return _policy


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


@dataclass(frozen=True)
class PasswordAttempt:
    account: str
    address: str | None

    async def succeeded(self) -> None:
        """The password was right: forget the account's failures, return the address's
        attempt (so a busy office behind one address is not locked out by its successes)."""
        await storage().clear(_failures(self.account))
        if self.address is not None:
            await storage().incr(_failures(self.address), _policy.failure_window_seconds, -1)
        await prune()


async def start_password_attempt(email: str, client_address: str | None) -> PasswordAttempt:
    """Count one password attempt for the account and the address, or refuse it with
    `RateLimitedError` (and no verification) while either is locked or over its limit."""
    account = account_subject(email)
    address = address_subject(client_address) if client_address else None
    subjects = [(account, _policy.max_failures_per_account)]
    if address is not None:
        subjects.insert(0, (address, _policy.max_failures_per_address))

    wait = max([await _seconds_locked(subject) for subject, _ in subjects])
    if wait > 0:
        raise _refusal(wait)
    for subject, maximum in subjects:
        wait = await _count_attempt(subject, maximum)
        if wait > 0:
            raise _refusal(wait)
    return PasswordAttempt(account=account, address=address)


async def lift_lock(email: str) -> None:
    """The password was reset (by a super-admin or the CLI): the account may sign in again
    at once, with a clean slate."""
    account = account_subject(email)
    for bucket in (_failures(account), _lock(account), _strikes(account)):
        await storage().clear(bucket)


async def _seconds_locked(subject: str) -> float:
    # Both storages give a missing (or ended) lock the expiry "now": one round trip. Redis
    # reads "now" from time.time(), which can be a microsecond ahead of our clock's
    # datetime, and a live lock has at least a whole second left: ignore a sliver.
    remaining = await storage().get_expiry(_lock(subject)) - now()
    return remaining if remaining >= _CLOCK_SLACK_SECONDS else 0.0


async def _count_attempt(subject: str, maximum: int) -> float:
    hits = await storage().incr(_failures(subject), _policy.failure_window_seconds)
    if hits <= maximum:
        return 0.0
    if hits == maximum + 1:
        # Exactly one attempt per window sees this count, so one lock starts, once.
        strikes = await storage().incr(_strikes(subject), STRIKE_MEMORY_SECONDS)
        lock_seconds = min(_policy.lock_seconds * 2 ** min(strikes - 1, 32), MAX_LOCK_SECONDS)
        await storage().incr(_lock(subject), lock_seconds)
    window_left = await storage().get_expiry(_failures(subject)) - now()
    return max(await _seconds_locked(subject), window_left, 1.0)


def _refusal(seconds: float) -> RateLimitedError:
    whole_seconds = max(1, math.ceil(seconds - _CLOCK_SLACK_SECONDS))
    return RateLimitedError(whole_seconds, TOO_MANY_ATTEMPTS.format(seconds=whole_seconds))
