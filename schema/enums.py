"""The domain enums, exposed to GraphQL under the contract's names."""

import strawberry

from models import ApiKeyStatus, Role, Scope, UserStatus
from resolvers.api_keys import ApiKeyOrderField
from resolvers.pagination import OrderDirection
from resolvers.users import UserOrderField

RoleEnum = strawberry.enum(Role, name="Role")
UserStatusEnum = strawberry.enum(UserStatus, name="UserStatus")
ScopeEnum = strawberry.enum(Scope, name="Scope")
ApiKeyStatusEnum = strawberry.enum(ApiKeyStatus, name="ApiKeyStatus")
OrderDirectionEnum = strawberry.enum(OrderDirection, name="OrderDirection")
UserOrderFieldEnum = strawberry.enum(UserOrderField, name="UserOrderField")
ApiKeyOrderFieldEnum = strawberry.enum(ApiKeyOrderField, name="ApiKeyOrderField")
