"""Sessions a user can see and end: their own, or anyone's for a super-admin.

A session is a row; ending one deletes it, and every request looks its token up in the
database (auth/sessions.py), so an ended session is refused at once by every process.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audited
from auth.principal import Principal
from core.clock import utcnow
from core.errors import forbidden, not_found
from models import Role, Session

# Sessions listed at most, newest first: the list has no pages, and a list field counts as
# this many items in a query's cost (schema/cost.py).
MAX_LISTED_SESSIONS = 100
FOR_PEOPLE = "Sessions are for signed-in users; an API key has none."


def _live(now: datetime, idle: timedelta | None) -> Q:
    live = Q(expires_at__gt=now)
    if idle is not None:
        cutoff = now - idle
        live &= Q(last_seen_at__gte=cutoff) | Q(last_seen_at__isnull=True, created_at__gte=cutoff)
    return live


async def live_sessions(user_id: int, *, idle: timedelta | None) -> list[Session]:
    """The user's sessions that would still be accepted, newest first (at most 100)."""
    return await (
        Session.filter(_live(utcnow(), idle), user_id=user_id)
        .order_by("-created_at", "-id")
        .limit(MAX_LISTED_SESSIONS)
    )


async def get_session(session_id: int) -> Session | None:
    return await Session.get_or_none(id=session_id)


def may_see(actor: Principal, session: Session) -> bool:
    """Its owner, or a super-admin; never through an API key."""
    if actor.api_key is not None:
        return False
    return actor.role == Role.SUPER_ADMIN or session.user_id == actor.user_id


async def end_session(actor: Principal, session_id: int) -> bool:
    """End one session at once. Another user's session is NOT_FOUND for anyone but a
    super-admin, as a session that does not exist is: its id tells nothing."""
    async with audited(
        actor, AuditAction.SESSION_END, target_type=AuditTarget.SESSION, target_id=session_id
    ) as event:
        if actor.session is None:
            raise forbidden(FOR_PEOPLE)
        async with in_transaction():
            session = await Session.get_or_none(id=session_id)
            if session is None or not may_see(actor, session):
                raise not_found("Session")
            await Session.filter(id=session.id).delete()
            event.details = {
                "userId": session.user_id,
                "current": session.id == actor.session.id,
            }
            await event.record()
    return True


async def end_other_sessions(actor: Principal) -> int:
    """End every session of the caller but this one; how many ended."""
    async with audited(
        actor,
        AuditAction.SESSION_END_OTHERS,
        target_type=AuditTarget.USER,
        target_id=actor.user_id,
    ) as event:
        if actor.session is None:
            raise forbidden(FOR_PEOPLE)
        async with in_transaction():
            ended = (
                await Session.filter(user_id=actor.person.id).exclude(id=actor.session.id).delete()
            )
            event.details = {"sessionsEnded": ended}
            await event.record()
    return int(ended)
