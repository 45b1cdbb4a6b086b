"""Recognising a session token, and keeping a session's last-seen time and idle timeout."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q

from auth.principal import SESSION_IDLE, Anonymous, Principal
from auth.tokens import hash_secret, is_well_formed_session_token
from core.clock import utcnow
from core.observability import note_auth_failure
from core.text import without_unsafe_characters
from models import Session, User, UserStatus
from models.lookups import RowWithRelated

# Built once rather than through a queryset on every request: see models.lookups. Expiry is
# checked here rather than in SQL, so that an expired token is told from an unknown one.
# The row carries last_seen_at, so most requests learn from it that nothing needs writing.
_SESSION_WITH_USER = RowWithRelated(Session, "user", User, 'm."token_hash" = ?')

# last_seen_at is written at most this often per session, not on every request.
LAST_SEEN_INTERVAL = timedelta(minutes=1)
MAX_USER_AGENT_LENGTH = 512


class SeenWrites:
    """The sessions whose last_seen_at this process is writing, or wrote within the
    interval. When a session's time turns stale, every request of it in flight reads the
    same stale row: the first writes, and the others go on at once rather than each
    queueing a write that would change no row (100 such writes behind SQLite's one writer
    held 100 connections' answers for half a second, once a minute). Per process: another
    process writes its own once, which the conditional UPDATE makes harmless."""

    CAPACITY = 10_000

    def __init__(self) -> None:
        self._written_at: dict[str, datetime] = {}

    def claim(self, session: Session, now: datetime, interval: timedelta) -> bool:
        written_at = self._written_at.get(session.token_hash)
        if written_at is not None and timedelta(0) <= now - written_at < interval:
            return False
        if len(self._written_at) >= self.CAPACITY:
            self._written_at.clear()  # forgets only which writes it could skip
        self._written_at[session.token_hash] = now
        return True

    def release(self, session: Session) -> None:
        self._written_at.pop(session.token_hash, None)


async def authenticate_session(
    token: str, seen: SeenWrites, *, idle: timedelta | None = None
) -> Principal | Anonymous | None:
    """The session's principal; None for a token that is not a live session; a refusal
    with its reason for a session ended now because it went unused for longer than `idle`."""
    if not is_well_formed_session_token(token):
        note_auth_failure("malformed")
        return None
    found = await _SESSION_WITH_USER.fetch(hash_secret(token))
    if found is None:
        note_auth_failure("unknown")  # never issued, or ended by logout or a reset
        return None
    session, user = found
    now = utcnow()
    if session.expires_at <= now:
        note_auth_failure("expired")
        return None
    if user.status != UserStatus.ACTIVE:
        note_auth_failure("inactive")
        return None
    if idle is not None and now - last_seen(session) > idle:
        await Session.filter(id=session.id).delete()
        note_auth_failure("idle")
        return Anonymous(rejected=True, reason=SESSION_IDLE)
    await note_seen(session, now, touch_interval(idle), seen)
    return Principal(user=user, session=session)


def last_seen(session: Session) -> datetime:
    """When the session was last used, to about a minute; its start until first written."""
    return session.last_seen_at or session.created_at


def touch_interval(idle: timedelta | None) -> timedelta:
    """At most a minute; with a short idle timeout, half of it, so that a session in use
    is never taken for an idle one."""
    return LAST_SEEN_INTERVAL if idle is None else min(LAST_SEEN_INTERVAL, idle / 2)


async def note_seen(session: Session, now: datetime, interval: timedelta, seen: SeenWrites) -> None:
    """Write last_seen_at when the row it came with says it is older than `interval`, and
    no request of this process is writing it already. The UPDATE is conditional too, so
    that of several processes seeing the same stale time only the first writes, and the
    others change no row."""
    if session.last_seen_at is not None and now - session.last_seen_at < interval:
        return
    if not seen.claim(session, now, interval):
        return
    stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - interval)
    try:
        await Session.filter(stale, id=session.id).update(last_seen_at=now)
    except BaseException:
        seen.release(session)  # the next request tries again
        raise
    session.last_seen_at = now


def clean_user_agent(user_agent: str | None) -> str | None:
    """A request's User-Agent as a session keeps it: without control characters or bidi
    overrides, trimmed, at most 512 characters; None when nothing is left. Every way of
    signing in records `Session(client_address=actor.client_address (already the trusted
    address, auth.credentials.known_address), user_agent=clean_user_agent(header))`."""
    if not user_agent:
        return None
    kept = without_unsafe_characters(user_agent).strip()
    return kept[:MAX_USER_AGENT_LENGTH] or None
