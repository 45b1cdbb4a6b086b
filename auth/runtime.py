"""The process's runtime: everything stateful that the settings configure, made in one place.

`build_runtime(settings)` makes the Argon2 hasher and its pool, the limiter's storage (Redis
or the database table), the login policy over it, the webhook outbox switch, the key
call counter, the signal bus and the verifications' key cache that the bus clears. The app
(its `create_app` and lifespan) and every CLI command (`gatehouse.cli.runtime_for`) make
theirs with it, and nothing else configures these parts.

The runtime travels explicitly where the caller has it: the request context
(`schema.context.Context.runtime`), `auth.credentials.authenticate`, readiness, the webhook
sender, the CLI. The functions at the bottom are for the deep hooks below a request that
are also called without one (a user created by the CLI or a test's factory, a sweep, the
outbox written inside a change's transaction): they use the runtime that `install` made
current, which `create_app` and the CLI helper call and nothing else does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from auth.call_counter import CallCounters
from auth.key_cache import KeyCache
from auth.live_credentials import SubscriptionSlots
from auth.passwords import PasswordHashing, Verification
from auth.rate_limits import Limiter
from auth.sessions import SeenWrites
from auth.signals import SignalBus, build_signal_bus, keys_called
from auth.throttle import LoginPolicy, LoginThrottle, PasswordAttempt
from core.config import MfaSettings, Settings
from core.metrics import PASSWORD_HASH_POOL_SIZE
from models.webhooks import Outbox, use_outbox


@dataclass(eq=False)
class Runtime:
    settings: Settings
    passwords: PasswordHashing
    limiter: Limiter
    throttle: LoginThrottle
    outbox: Outbox
    calls: CallCounters
    # "Something changed" to the live subscriptions of every process (auth.signals).
    signals: SignalBus
    # The keys verifications found lately (auth.key_cache); `signals` clears it.
    key_cache: KeyCache
    # Open subscriptions per credential, held to MAX_SUBSCRIPTIONS_PER_CREDENTIAL.
    subscriptions: SubscriptionSlots = field(default_factory=SubscriptionSlots)
    # Sessions whose last-seen time this process is writing (auth.sessions).
    seen_sessions: SeenWrites = field(default_factory=SeenWrites)

    # `mfa` as built from `settings`, kept with the settings it came from.
    _mfa: tuple[Settings, MfaSettings] | None = field(default=None, init=False, repr=False)

    @property
    def login_policy(self) -> LoginPolicy:
        return self.throttle.policy

    @property
    def mfa(self) -> MfaSettings:
        """`settings.mfa`, built once: every session's request reads it."""
        if self._mfa is None or self._mfa[0] is not self.settings:
            self._mfa = (self.settings, self.settings.mfa)
        return self._mfa[1]

    def install(self) -> Runtime:
        """Make this the process's runtime for the deep hooks (see the module's note)."""
        global _current
        _current = self
        use_outbox(self.outbox)
        PASSWORD_HASH_POOL_SIZE.set(self.passwords.pool.size)
        return self

    async def start(self) -> None:
        """Installs it; nothing here connects: Redis is checked by `serve` before the start
        (and by readiness after), the database by the app's lifespan."""
        self.install()

    async def close(self) -> None:
        """Close Redis's connections and stop the hashing threads."""
        await self.signals.close()
        await self.limiter.close()
        self.passwords.close()


def build_runtime(settings: Settings) -> Runtime:
    limiter = Limiter(settings.limiter)
    signals = build_signal_bus(
        settings.database_url,
        None if settings.redis_url is None else str(settings.redis_url),
        settings.redis_key_prefix,
    )
    key_cache = KeyCache()
    signals.listen(key_cache.hear)
    return Runtime(
        settings=settings,
        passwords=PasswordHashing(settings.argon2),
        limiter=limiter,
        throttle=LoginThrottle(limiter, LoginPolicy.from_settings(settings.login_policy)),
        outbox=Outbox(enabled=settings.webhooks.enabled),
        calls=CallCounters(on_commit=lambda keys: signals.publish_all(keys_called(keys))),
        signals=signals,
        key_cache=key_cache,
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime for the length of the block: built, started, closed."""
    runtime = build_runtime(settings)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.close()


_current: Runtime | None = None


def current() -> Runtime:
    """The installed runtime; before any, one from the default settings, installed now (a
    script or test that uses the domain functions without an app)."""
    return _current if _current is not None else build_runtime(Settings()).install()


# The deep hooks: called by domain functions that run with and without a request.


async def hash_password(password: str) -> str:
    return await current().passwords.hash(password)


async def verify_password(password_hash: str | None, password: str) -> Verification:
    return await current().passwords.verify(password_hash, password)


def password_attempt(
    email: str, client_address: str | None
) -> AbstractAsyncContextManager[PasswordAttempt]:
    return current().throttle.attempt(email, client_address)


def token_attempt(client_address: str | None) -> AbstractAsyncContextManager[PasswordAttempt]:
    return current().throttle.address_attempt(client_address)


async def lift_lock(email: str) -> None:
    await current().throttle.lift_lock(email)


def publish_change(topic: str, pk: int | None = None) -> None:
    """Tell every process's subscriptions that `topic` row `pk` changed (after its commit)."""
    current().signals.publish(topic, pk)


async def record_call(key_id: int, now: datetime, address: str | None = None) -> None:
    await current().calls.record(key_id, now, address)
