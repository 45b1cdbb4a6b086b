from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from auth.audit import AuditAction, AuditTarget
from core.enums import Scope
from resolvers import users
from resolvers.pagination import OrderDirection
from resolvers.rows import User
from schema.changes import Target, mutation
from schema.context import Context
from schema.enums import (
    MfaMethodEnum,
    OrderDirectionEnum,
    RoleEnum,
    UserOrderFieldEnum,
    UserStatusEnum,
)
from schema.ids import USER, UserId, global_id, node_id_field, pk_of, require_pk
from schema.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_request,
    selects_total_count,
)
from schema.permissions import ADMIN, SUPER_ADMIN, USER_CREATORS, USER_READERS, allow
from schema.read_rules import ReadRule, read_rule
from schema.user_sessions import SessionType, sessions_of

if TYPE_CHECKING:
    from schema.passkeys import PasskeyType

Info = strawberry.Info[Context, None]

# Every password argument's description (the policy is auth/password_policy.py).
PASSWORD_RULES = (
    "12 to 1024 characters, not a common password, not containing the email's local part; "  # noqa: S105 - a description
    "BAD_USER_INPUT with reason WEAK_PASSWORD otherwise."
)


# Wherever a User is reached (`users`, `user`, `node`, `nodes`, an ApiKey's `createdBy`, any
# field added later), schema.read_rules applies this; `me` and a login's user are the
# caller's own.
USER_READ_RULE = ReadRule(
    frozenset(USER_READERS), "Reading users needs the SUPER_ADMIN or ADMIN role."
)


@read_rule(USER_READ_RULE)
@strawberry.type(name="User", description="A person who signs in to the portal.")
class UserType(relay.Node):
    id: relay.NodeID[int]
    _id: strawberry.ID = node_id_field()  # Relay's `id`, as an attribute: schema.ids
    email: str = strawberry.field(description="Unique in any letter case; stored lower-case.")
    display_name: str = strawberry.field(description="1 to 200 characters.")
    roles: list[RoleEnum] = strawberry.field(description="At least one; the strongest counts.")
    status: UserStatusEnum = strawberry.field(description="Whether the user may sign in.")
    last_login_at: datetime | None = strawberry.field(description="Null until the first login.")
    created_at: datetime = strawberry.field(description="When the user was created.")
    must_change_password: bool = strawberry.field(
        description="The password is temporary: the user's sessions are restricted to "
        "changing it (PASSWORD_CHANGE_REQUIRED) until they do."
    )

    @strawberry.field(description="The second factors the user can verify (verifyMfa).")
    async def mfa_methods(self, info: Info) -> list[MfaMethodEnum]:
        return await info.context.loaders.mfa_methods_by_user.load(int(self.id))

    @strawberry.field(
        description="The user's live sessions, newest first (at most 100): the user's own, "
        "or anyone's for a SUPER_ADMIN; FORBIDDEN otherwise, and with an API key."
    )
    async def sessions(self, info: Info) -> list[SessionType]:
        return await sessions_of(info, self.id)

    @strawberry.field(
        description="The user's passkeys, oldest first: the user themself only (FORBIDDEN "
        "for anyone else, super-admins included)."
    )
    async def passkeys(
        self, info: Info
    ) -> list[Annotated[PasskeyType, strawberry.lazy("schema.passkeys")]]:
        # Imported here: schema.passkeys builds on this module (LoginPayload's user).
        from schema.passkeys import passkeys_of

        return await passkeys_of(info, self.id)

    @classmethod
    def from_model(cls, user: User) -> UserType:
        return cls(
            id=user.id,
            _id=global_id(USER, user.id),
            email=user.email,
            display_name=user.display_name,
            roles=user.roles,
            status=user.status,
            last_login_at=user.last_login_at,
            created_at=user.created_at,
            must_change_password=user.must_change_password,
        )


@strawberry.input(description="Narrows `users`; every criterion given must match.")
class UserFilter:
    status: UserStatusEnum | None = strawberry.field(
        default=None, description="Only users with this status."
    )
    role: RoleEnum | None = strawberry.field(
        default=None, description="Only users holding this role (among others)."
    )
    search: str | None = strawberry.field(
        default=None, description="Matches part of the email or display name, in any case."
    )


@strawberry.input(
    description="How to sort `users`: by one field, ties broken by id in the same direction; "
    "users never signed in (null lastLoginAt) come last in both directions."
)
class UserOrder:
    field: UserOrderFieldEnum = strawberry.field(description="The field to sort by.")
    direction: OrderDirectionEnum | None = strawberry.field(
        default=OrderDirection.ASC, description="ASC when left out or null."
    )


@strawberry.input(description="A new portal user.")
class CreateUserInput:
    email: str = strawberry.field(description="Unique in any letter case (CONFLICT otherwise).")
    display_name: str = strawberry.field(description="1 to 200 characters.")
    password: str = strawberry.field(description=PASSWORD_RULES)
    roles: list[RoleEnum] = strawberry.field(description="At least one.")
    must_change_password: bool | None = strawberry.field(
        default=False,
        description="The password is temporary: the user must change it at the next sign-in.",
    )


@strawberry.input(description="Changes to a user; what is left out or null stays as it is.")
class UpdateUserInput:
    display_name: str | None = strawberry.field(default=None, description="1 to 200 characters.")
    roles: list[RoleEnum] | None = strawberry.field(
        default=None, description="Replaces every role; at least one."
    )
    status: UserStatusEnum | None = strawberry.field(
        default=None, description="INACTIVE ends the user's sessions and stops their keys."
    )


@strawberry.type
class UserQuery:
    @strawberry.field(
        extensions=[allow(*USER_READERS, scope=Scope.READ)],
        description="Portal users, a page at a time: by id unless `orderBy` says otherwise.",
    )
    async def users(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[  # noqa: A002 - the contract's name
            UserFilter | None, strawberry.argument(description="Null lists every user.")
        ] = None,
        order_by: Annotated[
            UserOrder | None, strawberry.argument(description="Null sorts by id, oldest first.")
        ] = None,
    ) -> Connection[UserType]:
        criteria = filter or UserFilter()
        page = await users.list_users(
            page_request(info, first, after, last, before),
            with_total=selects_total_count(info),
            status=criteria.status,
            role=criteria.role,
            search=criteria.search,
            order_by=order_by.field if order_by else None,
            direction=(order_by and order_by.direction) or OrderDirection.ASC,
        )
        return Connection.from_page(page, UserType.from_model)

    @strawberry.field(
        extensions=[allow(*USER_READERS, scope=Scope.READ)],
        description="One user; null when the id names no user.",
    )
    async def user(self, info: Info, id: UserId) -> UserType | None:  # noqa: A002
        pk = pk_of(id, USER)
        user = None if pk is None else await users.get_user(pk)
        return UserType.from_model(user) if user else None


@strawberry.type
class UserMutation:
    @mutation(
        action=AuditAction.USER_CREATE,
        target=Target(AuditTarget.USER),
        allow=allow(*USER_CREATORS, scope=Scope.ADMIN),
        step_up=True,
        description="Creates a portal user; a duplicate email is CONFLICT.",
    )
    async def create_user(
        self,
        info: Info,
        input: Annotated[  # noqa: A002 - the contract's name
            CreateUserInput, strawberry.argument(description="The new user.")
        ],
    ) -> UserType:
        user = await users.create_user(
            info.context.principal,
            email=input.email,
            display_name=input.display_name,
            password=input.password,
            roles=input.roles,
            must_change_password=bool(input.must_change_password),
        )
        return UserType.from_model(user)

    @mutation(
        action=AuditAction.USER_UPDATE,
        target=Target(AuditTarget.USER, argument="id"),
        allow=allow(SUPER_ADMIN, ADMIN, scope=Scope.ADMIN),
        description="Admins may neither grant nor take away SUPER_ADMIN, nor change a super-admin. "
        "Changing roles or status needs step-up (STEP_UP_REQUIRED) for a session of a user "
        "with a second factor.",
    )
    async def update_user(
        self,
        info: Info,
        id: UserId,  # noqa: A002
        input: Annotated[  # noqa: A002 - the contract's name
            UpdateUserInput, strawberry.argument(description="What to change.")
        ],
    ) -> UserType:
        user = await users.update_user(
            info.context.principal,
            require_pk(id, USER),
            display_name=input.display_name,
            roles=input.roles,
            status=input.status,
        )
        return UserType.from_model(user)

    @mutation(
        action=AuditAction.USER_RESET_PASSWORD,
        target=Target(AuditTarget.USER, argument="user_id"),
        allow=allow(SUPER_ADMIN, scope=Scope.ADMIN),
        step_up=True,
        description="Ends every session of the user. Not on oneself.",
    )
    async def reset_password(
        self,
        info: Info,
        user_id: UserId,
        new_password: Annotated[str, strawberry.argument(description=PASSWORD_RULES)],
        temporary: Annotated[
            bool | None,
            strawberry.argument(
                description="The user must change it at the next sign-in "
                "(PASSWORD_CHANGE_REQUIRED)."
            ),
        ] = False,
    ) -> UserType:
        user = await users.reset_password(
            info.context.principal,
            require_pk(user_id, USER),
            new_password,
            temporary=bool(temporary),
        )
        return UserType.from_model(user)

    @mutation(
        action=AuditAction.USER_DELETE,
        target=Target(AuditTarget.USER, argument="id"),
        allow=allow(SUPER_ADMIN, scope=Scope.ADMIN),
        step_up=True,
        events=["key.revoked"],
        description="Deletes the user, ends their sessions and revokes their API keys; "
        "answers the deleted id. Not on oneself.",
    )
    async def delete_user(self, info: Info, id: UserId) -> strawberry.ID:  # noqa: A002
        deleted = await users.delete_user(info.context.principal, require_pk(id, USER))
        return global_id(USER, deleted)
