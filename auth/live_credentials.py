"""A subscription's credential, checked for as long as the subscription lasts.

A request's credential is checked once, when it arrives. A subscription outlives that:
a key revoked (or disabled), a session ended, an owner deactivated must end its
subscriptions within a second. The credential is read again on every signal about its key,
session or user, and every `RECHECK_SECONDS` whatever happens (an expiry is no signal).
The check reads rows only: it is no call of the key, and is neither counted nor limited.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from auth import signals
from auth.principal import Principal
from core.clock import utcnow
from core.errors import ErrorCode, GatehouseError
from models import ApiKey, ApiKeyStatus, ServiceAccount, Session, User, UserStatus

RECHECK_SECONDS = 15.0
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
CREDENTIAL_ENDED = "CREDENTIAL_ENDED"


def credential_name(principal: Principal) -> str:
    if principal.api_key is not None:
        return f"api_key:{principal.api_key.id}"
    if principal.session is not None:
        return f"session:{principal.session.id}"
    return f"user:{principal.user_id}"


def concerns(principal: Principal, signal: signals.Signal) -> bool:
    """Whether `signal` may have ended the credential."""
    if signal.topic == signals.EVERYTHING:
        return True
    if signal.topic == signals.USER:
        return principal.user is not None and (signal.id is None or signal.id == principal.user_id)
    if signal.topic == signals.SERVICE_ACCOUNT and principal.service_account is not None:
        return signal.id is None or signal.id == principal.service_account_id
    if signal.topic == signals.API_KEY and principal.api_key is not None:
        return bool(signal.id == principal.api_key.id)
    if signal.topic == signals.SESSION and principal.session is not None:
        return signal.id is None or bool(signal.id == principal.session.id)
    return False


async def still_valid(principal: Principal) -> bool:
    now = utcnow()
    if principal.api_key is not None:
        api_key = await ApiKey.get_or_none(id=principal.api_key.id)
        if api_key is None or api_key.status_at(now) != ApiKeyStatus.ACTIVE:
            return False
    elif principal.session is not None:
        session = await Session.get_or_none(id=principal.session.id)
        if session is None or session.expires_at <= now:
            return False
    if principal.service_account is not None:
        account = await ServiceAccount.get_or_none(id=principal.service_account.id)
        return account is not None and account.status == UserStatus.ACTIVE
    user = await User.get_or_none(id=principal.user_id)
    return user is not None and user.status == UserStatus.ACTIVE


def credential_ended() -> GatehouseError:
    return GatehouseError(
        ErrorCode.UNAUTHENTICATED,
        "The credential of this subscription was revoked, disabled or ended.",
        reason=CREDENTIAL_ENDED,
    )


class SubscriptionSlots:
    """Open subscriptions per credential in this process, held to a limit, and their
    credential checks, shared: the twenty subscriptions of one key woken by one signal read
    its row once, not twenty times."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()
        self._checks: dict[str, tuple[float, asyncio.Future[bool]]] = {}

    async def still_valid(self, principal: Principal, since: float) -> bool:
        """Whether the credential is still good, by a check started at `since`
        (`time.monotonic()`) or later: one in flight or done is shared."""
        name = credential_name(principal)
        entry = self._checks.get(name)
        loop = asyncio.get_running_loop()
        if entry is None or entry[0] < since or entry[1].get_loop() is not loop:
            entry = (time.monotonic(), asyncio.ensure_future(still_valid(principal)))
            self._checks[name] = entry
        return await asyncio.shield(entry[1])

    @property
    def total(self) -> int:
        return sum(self._open.values())

    @contextmanager
    def hold(self, principal: Principal, limit: int) -> Iterator[None]:
        name = credential_name(principal)
        if self._open[name] >= limit:
            raise GatehouseError(
                ErrorCode.RATE_LIMITED,
                f"This credential already holds {limit} subscriptions "
                "(MAX_SUBSCRIPTIONS_PER_CREDENTIAL).",
                reason=TOO_MANY_SUBSCRIPTIONS,
                extensions={"limit": limit},
            )
        self._open[name] += 1
        try:
            yield
        finally:
            self._open[name] -= 1
            if self._open[name] <= 0:
                del self._open[name]
                self._checks.pop(name, None)
