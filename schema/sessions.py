from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from auth.audit import AuditAction, AuditTarget
from core.enums import Scope
from resolvers import sessions
from schema.changes import Target, mutation
from schema.context import Context
from schema.enums import MfaMethodEnum, SessionRestrictionEnum
from schema.permissions import EVERY_ROLE, allow, people_only, public_for_people
from schema.read_rules import own_user
from schema.users import PASSWORD_RULES, UserType

Info = strawberry.Info[Context, None]


@strawberry.type(description="A new session.")
class LoginPayload:
    token: str = strawberry.field(
        description="Send as `Authorization: Bearer <token>`; opaque, ends at logout or expiry."
    )
    expires_at: datetime = strawberry.field(description="When the token stops working.")
    user: UserType = strawberry.field(
        description="The user who signed in.", extensions=[own_user()]
    )
    restriction: SessionRestrictionEnum | None = strawberry.field(
        default=None,
        description="What the session may do before it is trusted; null: a full session.",
    )
    mfa_methods: list[MfaMethodEnum] = strawberry.field(
        default_factory=list, description="What verifyMfa accepts for this user."
    )


def login_payload(result: sessions.LoginResult) -> LoginPayload:
    """The answer of every way of starting a session (`login`, `acceptInvitation`)."""
    return LoginPayload(
        token=result.token,
        expires_at=result.expires_at,
        user=UserType.from_model(result.user),
        restriction=result.restriction,
        mfa_methods=result.mfa_methods,
    )


@strawberry.type
class SessionQuery:
    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ), own_user()],
        description="The signed-in user, or the user who owns the API key. A service "
        "account's key has no user: FORBIDDEN, reason SERVICE_ACCOUNT_KEY (read "
        "`currentApiKey { owner }` instead).",
    )
    async def me(self, info: Info) -> UserType:
        return UserType.from_model(info.context.principal.person)


@strawberry.type
class SessionMutation:
    @mutation(
        action=AuditAction.SESSION_LOGIN,
        target=Target(AuditTarget.USER),
        allow=public_for_people(),
        self_audited=True,
        description="Public. A wrong email, a wrong password and an inactive account all "
        "answer UNAUTHENTICATED alike. Too many failures for the account or the client "
        "address answer RATE_LIMITED with `extensions.retryAfter` (seconds), before any "
        "password check.",
    )
    async def login(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="In any letter case.")],
        password: Annotated[str, strawberry.argument(description="The user's password.")],
    ) -> LoginPayload:
        ttl = timedelta(hours=info.context.settings.session_ttl_hours)
        result = await sessions.login(
            info.context.actor,
            email,
            password,
            ttl=ttl,
            user_agent=info.context.request.headers.get("user-agent"),
        )
        return login_payload(result)

    @mutation(
        action=AuditAction.SESSION_LOGOUT,
        target=Target(AuditTarget.USER),
        allow=people_only(),
        self_audited=True,
        description="Ends the current session.",
    )
    async def logout(self, info: Info) -> bool:
        return await sessions.logout(info.context.principal)

    @mutation(
        action=AuditAction.USER_CHANGE_PASSWORD,
        target=Target(AuditTarget.USER),
        allow=people_only(),
        self_audited=True,
        description="Changes the signed-in user's own password and ends every other session "
        "of the user; this session goes on. For sessions only: an API key is FORBIDDEN. A "
        "wrong current password is FORBIDDEN; a new password outside the rules is "
        "BAD_USER_INPUT.",
    )
    async def change_password(
        self,
        info: Info,
        current_password: Annotated[
            str, strawberry.argument(description="The password the user signs in with now.")
        ],
        new_password: Annotated[str, strawberry.argument(description=PASSWORD_RULES)],
    ) -> bool:
        return await sessions.change_password(
            info.context.principal, current_password, new_password
        )
