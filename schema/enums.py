"""The domain enums, exposed to GraphQL under the contract's names."""

import strawberry

from models import ApiKeyStatus, Role, Scope, UserStatus

RoleEnum = strawberry.enum(Role, name="Role")
UserStatusEnum = strawberry.enum(UserStatus, name="UserStatus")
ScopeEnum = strawberry.enum(Scope, name="Scope")
ApiKeyStatusEnum = strawberry.enum(ApiKeyStatus, name="ApiKeyStatus")
