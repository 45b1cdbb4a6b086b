"""Who may call a field, declared on the field and printed in the SDL as a directive.

`allow(SUPER_ADMIN, ADMIN, scope=Scope.WRITE)` reads like a row of the contract's
permission table: the roles that may call the field (the caller's strongest role counts),
and the scope an API key must hold to call it on its owner's behalf. A mutation's refusals
are recorded by its declaration (schema/changes.py).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from auth.principal import Anonymous, Principal, credential_refusal
from core.enums import Role, Scope
from core.errors import ErrorCode, MissingScopeError, forbidden
from schema.enums import RoleEnum, ScopeEnum


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requires",
    description="Roles that may call this field, and the scope an API key needs for it.",
)
class RequiresDirective:
    roles: list[RoleEnum] = strawberry.field(
        description="The caller's strongest role must be one of these; FORBIDDEN otherwise."
    )
    scope: ScopeEnum | None = strawberry.field(
        default=None,
        description="The scope an API key must hold (sessions hold every scope); FORBIDDEN "
        "otherwise.",
    )


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="isAuthenticated",
    description="Needs a valid session token or API key: UNAUTHENTICATED otherwise.",
)
class IsAuthenticatedDirective:
    pass


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="isNotApiKey",
    description="For portal users only: a request signed with an API key is FORBIDDEN.",
)
class IsNotApiKeyDirective:
    pass


class IsAuthenticated(BasePermission):
    message = "Authentication required."
    _schema_directive = IsAuthenticatedDirective()
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}  # noqa: RUF012 - the base class declares it

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        actor = info.context.actor
        if isinstance(actor, Anonymous) and actor.rejected:
            raise credential_refusal(actor)
        return isinstance(actor, Principal)


class IsNotApiKey(BasePermission):
    """Sessions are for people: `login` and `logout` refuse a valid API key."""

    message = "This operation is for portal users, not API keys."
    _schema_directive = IsNotApiKeyDirective()
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}  # noqa: RUF012 - the base class declares it

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return not (isinstance(actor, Principal) and actor.api_key is not None)

    def on_unauthorized(self) -> None:
        # A domain error, so that a mutation's wrapper records the key's refusal.
        raise forbidden(self.message)


class HasRoleAndScope(BasePermission):
    message = "You are not allowed to do this."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}  # noqa: RUF012 - the base class declares it

    def __init__(self, roles: tuple[Role, ...], scope: Scope) -> None:
        self.roles = frozenset(roles)
        self.scope = scope
        self._directive = RequiresDirective(roles=list(roles), scope=scope)

    @property
    def schema_directive(self) -> object:
        return self._directive

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        actor = info.context.actor
        if self.allows(actor):
            return True
        self.raise_if_only_the_scope_is_missing(actor)
        return False

    def allows(self, actor: Any) -> bool:
        return isinstance(actor, Principal) and actor.role in self.roles and actor.holds(self.scope)

    def raise_if_only_the_scope_is_missing(self, actor: Any) -> None:
        # A script whose key lacks a scope learns which one to ask for; a role's refusal
        # stays a plain FORBIDDEN.
        if isinstance(actor, Principal) and actor.role in self.roles:
            raise MissingScopeError(self.scope.value)

    def on_unauthorized(self) -> None:
        # A domain error, like every refusal after it, so a mutation's wrapper records it.
        raise forbidden(self.message)


def allow(*roles: Role, scope: Scope) -> PermissionExtension:
    return PermissionExtension(
        permissions=[IsAuthenticated(), HasRoleAndScope(roles, scope)], use_directives=True
    )


def public_for_people() -> PermissionExtension:
    return PermissionExtension(permissions=[IsNotApiKey()], use_directives=True)


def people_only() -> PermissionExtension:
    return PermissionExtension(permissions=[IsAuthenticated(), IsNotApiKey()], use_directives=True)


SUPER_ADMIN, ADMIN, READ_ONLY = Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY
EVERY_ROLE = (SUPER_ADMIN, ADMIN, READ_ONLY)
# Who may make users: `createUser`, and `inviteUser` "as createUser".
USER_CREATORS = (SUPER_ADMIN,)
# Who may see users: `users`, `user`, and `node`/`nodes` for a User id.
USER_READERS = (SUPER_ADMIN, ADMIN)
