from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay

from auth.audit import AuditAction, AuditTarget
from core.enums import Scope
from resolvers import api_keys, service_accounts
from resolvers.rows import ServiceAccount
from schema.api_keys import ApiKeyType
from schema.changes import Target, mutation
from schema.context import Context
from schema.enums import RoleEnum, UserStatusEnum
from schema.ids import (
    SERVICE_ACCOUNT,
    ServiceAccountId,
    global_id,
    node_id_field,
    pk_of,
    require_pk,
)
from schema.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_request,
    selects_total_count,
)
from schema.permissions import SUPER_ADMIN, USER_READERS, allow
from schema.read_rules import ReadRule, read_rule
from schema.users import UserType

Info = strawberry.Info[Context, None]

# Wherever a ServiceAccount is reached (`serviceAccounts`, `serviceAccount`, `node`, an
# ApiKey's `owner`), schema.read_rules applies this: as for users.
SERVICE_ACCOUNT_READ_RULE = ReadRule(
    frozenset(USER_READERS), "Reading service accounts needs the SUPER_ADMIN or ADMIN role."
)


@read_rule(SERVICE_ACCOUNT_READ_RULE)
@strawberry.type(
    name="ServiceAccount",
    description="An owner of API keys that is not a person: it holds roles as a user does "
    "but never signs in. Its keys act as the account (its roles, narrowed by each key's "
    "scopes) and outlive the user who created them.",
)
class ServiceAccountType(relay.Node):
    id: relay.NodeID[int]
    _id: strawberry.ID = node_id_field()  # Relay's `id`, as an attribute: schema.ids
    name: str = strawberry.field(description="1 to 100 characters, unique in any letter case.")
    description: str | None = strawberry.field(description="Free text, up to 1000 characters.")
    roles: list[RoleEnum] = strawberry.field(
        description="What its keys may do, narrowed by each key's scopes; the strongest counts."
    )
    status: UserStatusEnum = strawberry.field(
        description="INACTIVE stops every key of the account until it is ACTIVE again."
    )
    created_at: datetime = strawberry.field(description="When the account was created.")
    created_by_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, account: ServiceAccount) -> ServiceAccountType:
        return cls(
            id=account.id,
            _id=global_id(SERVICE_ACCOUNT, account.id),
            name=account.name,
            description=account.description,
            roles=account.roles,
            status=account.status,
            created_at=account.created_at,
            created_by_id=account.created_by_id,
        )

    @strawberry.field(
        description="The user who created it; null once that user is deleted, or when a "
        "key made it."
    )
    def created_by(self, info: Info) -> UserType | None:
        # Not async: null needs no task, and otherwise the loader's awaitable is returned.
        if self.created_by_id is None:
            return None
        return cast(UserType | None, _load_user(info, self.created_by_id))

    @strawberry.field(
        description="The account's keys, newest first, revoked ones included.",
    )
    async def api_keys(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ApiKeyType]:
        page = await api_keys.list_api_keys(
            page_request(info, first, after, last, before),
            with_total=selects_total_count(info),
            service_account_id=self.id,
        )
        return ApiKeyType.connection(page)


async def _load_user(info: Info, user_id: int) -> UserType | None:
    user = await info.context.loaders.user_by_id.load(user_id)
    return UserType.from_model(user) if user else None


@strawberry.input(description="A new service account.")
class CreateServiceAccountInput:
    name: str = strawberry.field(
        description="1 to 100 characters, unique in any letter case (CONFLICT otherwise)."
    )
    description: str | None = strawberry.field(
        default=None, description="Free text, up to 1000 characters."
    )
    roles: list[RoleEnum] = strawberry.field(description="At least one.")


@strawberry.input(description="Only the fields given change; null clears the description.")
class UpdateServiceAccountInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="1 to 100 characters, unique in any letter case (CONFLICT otherwise).",
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 1000 characters; null clears it."
    )
    roles: list[RoleEnum] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces every role; at least one. The keys act with them from their "
        "next request.",
    )
    status: UserStatusEnum | None = strawberry.field(
        default=strawberry.UNSET,
        description="INACTIVE stops every key of the account; ACTIVE starts them again.",
    )


def _given(value: Any) -> Any:
    return service_accounts.UNCHANGED if value is strawberry.UNSET else value


@strawberry.type
class ServiceAccountQuery:
    @strawberry.field(
        extensions=[allow(*USER_READERS, scope=Scope.READ)],
        description="Service accounts, a page at a time, oldest first; who may read `users` "
        "may read them.",
    )
    async def service_accounts(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ServiceAccountType]:
        page = await service_accounts.list_service_accounts(
            page_request(info, first, after, last, before),
            with_total=selects_total_count(info),
        )
        return Connection.from_page(page, ServiceAccountType.from_model)

    @strawberry.field(
        extensions=[allow(*USER_READERS, scope=Scope.READ)],
        description="One service account; null when the id names none.",
    )
    async def service_account(
        self,
        info: Info,
        id: ServiceAccountId,  # noqa: A002
    ) -> ServiceAccountType | None:
        pk = pk_of(id, SERVICE_ACCOUNT)
        account = None if pk is None else await service_accounts.get_service_account(pk)
        return ServiceAccountType.from_model(account) if account else None


@strawberry.type
class ServiceAccountMutation:
    @mutation(
        action=AuditAction.SERVICE_ACCOUNT_CREATE,
        target=Target(AuditTarget.SERVICE_ACCOUNT),
        allow=allow(SUPER_ADMIN, scope=Scope.ADMIN),
        description="Creates a service account; a name taken in any letter case is CONFLICT. "
        "Make its keys with `createApiKey(input: {serviceAccountId: …})`.",
    )
    async def create_service_account(
        self,
        info: Info,
        input: Annotated[  # noqa: A002 - the contract's name
            CreateServiceAccountInput, strawberry.argument(description="The new account.")
        ],
    ) -> ServiceAccountType:
        account = await service_accounts.create_service_account(
            info.context.principal,
            name=input.name,
            description=input.description,
            roles=input.roles,
        )
        return ServiceAccountType.from_model(account)

    @mutation(
        action=AuditAction.SERVICE_ACCOUNT_UPDATE,
        target=Target(AuditTarget.SERVICE_ACCOUNT, argument="id"),
        allow=allow(SUPER_ADMIN, scope=Scope.ADMIN),
        description="Changes the name, description, roles or status; the account's keys act "
        "with the change from their next request.",
    )
    async def update_service_account(
        self,
        info: Info,
        id: ServiceAccountId,  # noqa: A002
        input: Annotated[  # noqa: A002 - the contract's name
            UpdateServiceAccountInput, strawberry.argument(description="The fields to change.")
        ],
    ) -> ServiceAccountType:
        account = await service_accounts.update_service_account(
            info.context.principal,
            require_pk(id, SERVICE_ACCOUNT),
            name=_given(input.name),
            description=_given(input.description),
            roles=_given(input.roles),
            status=_given(input.status),
        )
        return ServiceAccountType.from_model(account)

    @mutation(
        action=AuditAction.SERVICE_ACCOUNT_DELETE,
        target=Target(AuditTarget.SERVICE_ACCOUNT, argument="id"),
        allow=allow(SUPER_ADMIN, scope=Scope.ADMIN),
        events=["key.revoked"],
        description="Deletes the account and revokes its keys, which stay listed as REVOKED "
        "with no owner. Answers true.",
    )
    async def delete_service_account(self, info: Info, id: ServiceAccountId) -> bool:  # noqa: A002
        return await service_accounts.delete_service_account(
            info.context.principal, require_pk(id, SERVICE_ACCOUNT)
        )
