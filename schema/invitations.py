from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, cast

import strawberry
from strawberry import relay

from auth.audit import AuditAction, AuditTarget
from core.clock import utcnow
from core.enums import Scope
from resolvers import invitation_acceptance, invitations
from resolvers.rows import Invitation
from schema.changes import Target, mutation
from schema.context import Context
from schema.enums import InvitationStatusEnum, RoleEnum
from schema.ids import INVITATION, InvitationId, global_id, node_id_field, require_pk
from schema.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_request,
    selects_total_count,
)
from schema.permissions import SUPER_ADMIN, USER_CREATORS, allow, public_for_people
from schema.read_rules import ReadRule, read_rule
from schema.sessions import LoginPayload, login_payload
from schema.users import PASSWORD_RULES, UserType

Info = strawberry.Info[Context, None]

# Wherever an Invitation is reached (`invitations`, `node`, a payload), only super-admins
# read it: it names someone who has no account yet, and the roles they will get.
INVITATION_READ_RULE = ReadRule(
    frozenset({SUPER_ADMIN}), "Reading invitations needs the SUPER_ADMIN role."
)


@read_rule(INVITATION_READ_RULE)
@strawberry.type(
    name="Invitation",
    description="An invitation to become a portal user: accepted with its token, which is "
    "never shown here.",
)
class InvitationType(relay.Node):
    id: relay.NodeID[int]
    _id: strawberry.ID = node_id_field()  # Relay's `id`, as an attribute: schema.ids
    email: str = strawberry.field(description="Who is invited; NFKC-normalised, lower-case.")
    display_name: str = strawberry.field(
        description="The user's display name, unless they choose another when accepting."
    )
    roles: list[RoleEnum] = strawberry.field(description="The roles the user will hold.")
    created_at: datetime = strawberry.field(description="When the invitation was made.")
    expires_at: datetime = strawberry.field(
        description="When its token stops working (`INVITATION_TTL_HOURS` after it was "
        "made or last resent)."
    )
    accepted_at: datetime | None = strawberry.field(description="Null until it is accepted.")
    status: InvitationStatusEnum = strawberry.field(description="Where it stands now.")
    invited_by_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, invitation: Invitation) -> InvitationType:
        return cls(
            id=invitation.id,
            _id=global_id(INVITATION, invitation.id),
            email=invitation.email,
            display_name=invitation.display_name,
            roles=invitation.roles,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
            status=invitation.status_at(utcnow()),
            invited_by_id=invitation.invited_by_id,
        )

    @strawberry.field(description="Who invited; null once that user is deleted.")
    def invited_by(self, info: Info) -> UserType | None:
        if self.invited_by_id is None:
            return None
        # The loader's awaitable, which graphql-core awaits: one statement for a page.
        return cast(UserType | None, _load_user(info, self.invited_by_id))


async def _load_user(info: Info, user_id: int) -> UserType | None:
    user = await info.context.loaders.user_by_id.load(user_id)
    return UserType.from_model(user) if user else None


@strawberry.type(description="A new (or resent) invitation and its token, shown only here.")
class InvitePayload:
    invitation: InvitationType = strawberry.field(description="The invitation.")
    token: str = strawberry.field(
        description="What `acceptInvitation` takes. Shown once, like a key's secret; it also "
        "goes out in the `user.invited` webhook event for the portal's mailer."
    )

    @classmethod
    def from_issued(cls, issued: invitations.IssuedInvitation) -> InvitePayload:
        return cls(invitation=InvitationType.from_model(issued.invitation), token=issued.token)


@strawberry.input(description="Whom to invite, and as what.")
class InviteUserInput:
    email: str = strawberry.field(
        description="Not a user's email yet, nor a pending invitation's (CONFLICT otherwise)."
    )
    display_name: str = strawberry.field(description="1 to 200 characters.")
    roles: list[RoleEnum] = strawberry.field(description="At least one.")


async def invitation_node(info: Info, pk: int) -> InvitationType | None:
    """`node(id:)` for an Invitation id (schema.nodes)."""
    INVITATION_READ_RULE.require(info.context.actor)
    invitation = await info.context.loaders.invitation_by_id.load(pk)
    return InvitationType.from_model(invitation) if invitation else None


@strawberry.type
class InvitationQuery:
    @strawberry.field(
        extensions=[allow(SUPER_ADMIN, scope=Scope.READ)],
        description="Invitations, newest first, a page at a time.",
    )
    async def invitations(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            InvitationStatusEnum | None,
            strawberry.argument(description="Only invitations with this status; null: all."),
        ] = None,
    ) -> Connection[InvitationType]:
        page = await invitations.list_invitations(
            page_request(info, first, after, last, before),
            status=status,
            with_total=selects_total_count(info),
        )
        return Connection.from_page(page, InvitationType.from_model)


@strawberry.type
class InvitationMutation:
    @mutation(
        action=AuditAction.INVITATION_CREATE,
        target=Target(AuditTarget.INVITATION),
        allow=allow(*USER_CREATORS, scope=Scope.ADMIN),
        events=[invitations.USER_INVITED],
        step_up=True,
        description="Invites a person to become a user (who may do this: as createUser). "
        "The answer's token is shown once; the `user.invited` webhook event carries it for "
        "the mailer. An email of a user or of a pending invitation is CONFLICT.",
    )
    async def invite_user(
        self,
        info: Info,
        input: Annotated[  # noqa: A002 - the contract's name
            InviteUserInput, strawberry.argument(description="Whom to invite.")
        ],
    ) -> InvitePayload:
        issued = await invitations.invite_user(
            info.context.principal,
            email=input.email,
            display_name=input.display_name,
            roles=input.roles,
            settings=info.context.settings.invitations,
        )
        return InvitePayload.from_issued(issued)

    @mutation(
        action=AuditAction.INVITATION_RESEND,
        target=Target(AuditTarget.INVITATION, argument="id"),
        allow=allow(*USER_CREATORS, scope=Scope.ADMIN),
        events=[invitations.USER_INVITED],
        step_up=True,
        description="A new token and a new expiry for a pending or expired invitation; the "
        "old token stops working at once. Sends `user.invited` again. An accepted or revoked "
        "invitation is CONFLICT.",
    )
    async def resend_invitation(self, info: Info, id: InvitationId) -> InvitePayload:  # noqa: A002
        issued = await invitations.resend_invitation(
            info.context.principal,
            require_pk(id, INVITATION),
            settings=info.context.settings.invitations,
        )
        return InvitePayload.from_issued(issued)

    @mutation(
        action=AuditAction.INVITATION_REVOKE,
        target=Target(AuditTarget.INVITATION, argument="id"),
        allow=allow(*USER_CREATORS, scope=Scope.ADMIN),
        description="Its token stops working. True also when it was revoked already; an "
        "accepted invitation is CONFLICT (deactivate the user instead).",
    )
    async def revoke_invitation(self, info: Info, id: InvitationId) -> bool:  # noqa: A002
        return await invitations.revoke_invitation(
            info.context.principal, require_pk(id, INVITATION)
        )

    @mutation(
        action=AuditAction.INVITATION_ACCEPT,
        target=Target(AuditTarget.INVITATION),
        allow=public_for_people(),
        self_audited=True,
        description="Public. Creates the invited user with the invited roles and this "
        "password, and signs them in. A malformed, unknown, expired, revoked or used token "
        "answers UNAUTHENTICATED with reason INVITATION_INVALID alike, and counts as a "
        "failed sign-in of the client's address (RATE_LIMITED with `retryAfter` past the "
        "limit).",
    )
    async def accept_invitation(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The invitation's token.")],
        password: Annotated[str, strawberry.argument(description=PASSWORD_RULES)],
        display_name: Annotated[
            str | None,
            strawberry.argument(description="Null keeps the name the invitation gave."),
        ] = None,
    ) -> LoginPayload:
        ttl = timedelta(hours=info.context.settings.session_ttl_hours)
        result = await invitation_acceptance.accept_invitation(
            info.context.actor,
            token,
            password,
            display_name,
            session_ttl=ttl,
            user_agent=info.context.request.headers.get("user-agent"),
        )
        return login_payload(result)
