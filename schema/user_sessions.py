"""Sessions one can see and end: `mySessions`, `User.sessions`, `endSession`,
`endOtherSessions`. For people only: an API key has no session, and is FORBIDDEN here."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from auth.audit import AuditAction, AuditTarget
from auth.principal import Principal
from auth.sessions import last_seen
from core.enums import Role
from core.errors import forbidden
from resolvers import user_sessions
from resolvers.rows import Session
from schema.changes import Target, mutation
from schema.context import Context
from schema.ids import SESSION, SessionId, global_id, node_id_field, require_pk
from schema.permissions import people_only
from schema.read_rules import ReadRule, read_rule

Info = strawberry.Info[Context, None]

# Wherever a Session is reached (`mySessions`, `User.sessions`, `node`): a super-admin's,
# or the user's own; never through an API key.
SESSION_READ_RULE = ReadRule(
    frozenset(Role),
    "Only a super-admin may see another user's sessions, and never with an API key.",
    owner_of=lambda session: session.user_id,
    every_row=frozenset({Role.SUPER_ADMIN}),
    people_only=True,
)


@read_rule(SESSION_READ_RULE)
@strawberry.type(name="Session", description="A signed-in session of a portal user.")
class SessionType(relay.Node):
    id: relay.NodeID[int]
    _id: strawberry.ID = node_id_field()  # Relay's `id`, as an attribute: schema.ids
    created_at: datetime = strawberry.field(description="When the user signed in.")
    last_seen_at: datetime = strawberry.field(
        description="When the session was last used, to about a minute (it is written at most "
        "once a minute); createdAt until then."
    )
    expires_at: datetime = strawberry.field(description="When the session ends at the latest.")
    client_address: str | None = strawberry.field(
        description="The address it signed in from (a trusted proxy's X-Forwarded-For "
        "behind TRUSTED_PROXIES); null when unknown."
    )
    user_agent: str | None = strawberry.field(
        description="The User-Agent it signed in with, at most 512 characters; null when none."
    )
    current: bool = strawberry.field(description="Whether this request uses this session.")
    mfa: bool = strawberry.field(description="Whether a second factor was verified on it.")
    user_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, session: Session, actor: Principal | None) -> SessionType:
        current = actor is not None and actor.session is not None and actor.session.id == session.id
        return cls(
            id=session.id,
            _id=global_id(SESSION, session.id),
            created_at=session.created_at,
            last_seen_at=last_seen(session),
            expires_at=session.expires_at,
            client_address=session.client_address,
            user_agent=session.user_agent,
            current=current,
            mfa=session.mfa_verified_at is not None,
            user_id=session.user_id,
        )


def session_list(info: Info, sessions: list[Session]) -> list[SessionType]:
    actor = info.context.actor
    principal = actor if isinstance(actor, Principal) else None
    return [SessionType.from_model(session, principal) for session in sessions]


async def sessions_of(info: Info, user_id: int) -> list[SessionType]:
    """`User.sessions`: the user's own, or anyone's for a super-admin. Refused before the
    load, so that the refusal does not tell whether the user has sessions."""
    if not SESSION_READ_RULE.allows_owner(info.context.actor, user_id):
        raise forbidden(SESSION_READ_RULE.message)
    idle = info.context.settings.session_idle
    return session_list(info, await user_sessions.live_sessions(user_id, idle=idle))


async def session_node(info: Info, pk: int) -> SessionType | None:
    """`node` for a Session id: null, as for no session, when the caller may not see it."""
    # Asked before the load, so that a refused id answers alike whether it exists.
    SESSION_READ_RULE.require(info.context.actor)
    actor = info.context.principal
    session = await user_sessions.get_session(pk)
    if session is None or not user_sessions.may_see(actor, session):
        return None
    return SessionType.from_model(session, actor)


@strawberry.type
class UserSessionQuery:
    @strawberry.field(
        extensions=[people_only()],
        description="The signed-in user's live sessions, newest first (at most 100). For "
        "sessions only: an API key is FORBIDDEN.",
    )
    async def my_sessions(self, info: Info) -> list[SessionType]:
        return await sessions_of(info, info.context.principal.person.id)


@strawberry.type
class UserSessionMutation:
    @mutation(
        action=AuditAction.SESSION_END,
        target=Target(AuditTarget.SESSION, argument="id"),
        allow=people_only(),
        description="Ends a session at once, in every server process: one's own (this one "
        "included), or anyone's as SUPER_ADMIN. Another user's session is NOT_FOUND for "
        "everyone else, as an unknown id is. For sessions only: an API key is FORBIDDEN.",
    )
    async def end_session(self, info: Info, id: SessionId) -> bool:  # noqa: A002
        return await user_sessions.end_session(info.context.principal, require_pk(id, SESSION))

    @mutation(
        action=AuditAction.SESSION_END_OTHERS,
        target=Target(AuditTarget.USER),
        allow=people_only(),
        description="Ends every session of the signed-in user but this one; answers how "
        "many ended. For sessions only: an API key is FORBIDDEN.",
    )
    async def end_other_sessions(self, info: Info) -> int:
        return await user_sessions.end_other_sessions(info.context.principal)
