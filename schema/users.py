from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from models import Scope, User
from resolvers import users
from resolvers.pagination import OrderDirection
from schema.context import Context
from schema.enums import OrderDirectionEnum, RoleEnum, UserOrderFieldEnum, UserStatusEnum
from schema.ids import USER, global_id, pk_of, require_pk
from schema.pagination import Connection
from schema.permissions import ADMIN, SUPER_ADMIN, USER_READERS, allow

Info = strawberry.Info[Context, None]


@strawberry.type(name="User")
class UserType(relay.Node):
    id: relay.NodeID[int]
    email: str
    display_name: str
    roles: list[RoleEnum]  # type: ignore[valid-type]
    status: UserStatusEnum  # type: ignore[valid-type]
    last_login_at: datetime | None = strawberry.field(description="Null until the first login.")
    created_at: datetime

    @classmethod
    def from_model(cls, user: User) -> UserType:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            roles=user.roles,
            status=user.status,
            last_login_at=user.last_login_at,
            created_at=user.created_at,
        )


@strawberry.input
class UserFilter:
    status: UserStatusEnum | None = None  # type: ignore[valid-type]
    role: RoleEnum | None = None  # type: ignore[valid-type]
    search: str | None = strawberry.field(
        default=None, description="Matches part of the email or display name, in any case."
    )


@strawberry.input(
    description="How to sort `users`: by one field, ties broken by id in the same direction; "
    "users never signed in (null lastLoginAt) come last in both directions."
)
class UserOrder:
    field: UserOrderFieldEnum = strawberry.field(  # type: ignore[valid-type]
        description="The field to sort by."
    )
    direction: OrderDirectionEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=OrderDirection.ASC, description="ASC when left out or null."
    )


@strawberry.input
class CreateUserInput:
    email: str
    display_name: str
    password: str = strawberry.field(description="12 to 1024 characters.")
    roles: list[RoleEnum]  # type: ignore[valid-type]


@strawberry.input
class UpdateUserInput:
    display_name: str | None = None
    roles: list[RoleEnum] | None = None  # type: ignore[valid-type]
    status: UserStatusEnum | None = None  # type: ignore[valid-type]


@strawberry.type
class UserQuery:
    @strawberry.field(extensions=[allow(*USER_READERS, scope=Scope.READ)])
    async def users(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1 to 100.")] = 20,
        after: str | None = None,
        filter: UserFilter | None = None,  # noqa: A002 - the contract's name
        order_by: UserOrder | None = None,
    ) -> Connection[UserType]:
        criteria = filter or UserFilter()
        page = await users.list_users(
            first=first,
            after=after,
            status=criteria.status,
            role=criteria.role,
            search=criteria.search,
            order_by=order_by.field if order_by else None,
            direction=(order_by and order_by.direction) or OrderDirection.ASC,
        )
        return Connection.from_page(page, UserType.from_model)

    @strawberry.field(extensions=[allow(*USER_READERS, scope=Scope.READ)])
    async def user(self, info: Info, id: strawberry.ID) -> UserType | None:  # noqa: A002
        pk = pk_of(id, USER)
        user = None if pk is None else await users.get_user(pk)
        return UserType.from_model(user) if user else None


@strawberry.type
class UserMutation:
    @strawberry.mutation(extensions=[allow(SUPER_ADMIN, scope=Scope.ADMIN)])
    async def create_user(self, info: Info, input: CreateUserInput) -> UserType:  # noqa: A002
        user = await users.create_user(
            email=input.email,
            display_name=input.display_name,
            password=input.password,
            roles=input.roles,
        )
        return UserType.from_model(user)

    @strawberry.mutation(
        extensions=[allow(SUPER_ADMIN, ADMIN, scope=Scope.ADMIN)],
        description="Admins may neither grant nor take away SUPER_ADMIN, nor change a super-admin.",
    )
    async def update_user(
        self,
        info: Info,
        id: strawberry.ID,  # noqa: A002
        input: UpdateUserInput,  # noqa: A002
    ) -> UserType:
        user = await users.update_user(
            info.context.principal,
            require_pk(id, USER),
            display_name=input.display_name,
            roles=input.roles,
            status=input.status,
        )
        return UserType.from_model(user)

    @strawberry.mutation(
        extensions=[allow(SUPER_ADMIN, scope=Scope.ADMIN)],
        description="Ends every session of the user. Not on oneself.",
    )
    async def reset_password(
        self, info: Info, user_id: strawberry.ID, new_password: str
    ) -> UserType:
        user = await users.reset_password(
            info.context.principal, require_pk(user_id, USER), new_password
        )
        return UserType.from_model(user)

    @strawberry.mutation(
        extensions=[allow(SUPER_ADMIN, scope=Scope.ADMIN)],
        description="Revokes the user's API keys. Not on oneself.",
    )
    async def delete_user(self, info: Info, id: strawberry.ID) -> strawberry.ID:  # noqa: A002
        deleted = await users.delete_user(info.context.principal, require_pk(id, USER))
        return global_id(USER, deleted)
