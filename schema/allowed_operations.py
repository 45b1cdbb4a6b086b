"""`allowedOperations`: the root fields the caller may call, read from the declarations the
server enforces rather than from a second table that could drift from them.

Each root field of Query, Mutation and Subscription is checked as its call would be checked,
without running it: the permission classes on the field (`allow(...)`, including those of
a `@mutation` declaration, `people_only()`, `public_for_people()`) are asked with the
caller's context, and so is the read rule of the type the field returns
(`schema.read_rules`). A read rule behind an interface (`node`, `nodes`) refuses single
entries, not the call, so it does not take the field away. Refusals the domain decides
from a target row (not on oneself, never on a super-admin) are not known before the call:
the field is listed, as its button may work on some rows.
"""

from __future__ import annotations

import inspect
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.context import Context
from schema.read_rules import ReadRuleExtension

Info = strawberry.Info[Context, None]


async def may_call(field: Any, info: Info) -> bool:
    for extension in getattr(field, "extensions", ()):
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                try:
                    allowed = permission.has_permission(None, info)
                    if inspect.isawaitable(allowed):
                        allowed = await allowed
                except Exception:  # noqa: BLE001 - a permission refuses by raising, too
                    return False
                if not allowed:
                    return False
        elif (
            isinstance(extension, ReadRuleExtension)
            and not extension.behind_interface
            and not extension.rule.allows(info.context.actor)
        ):
            return False
    return True


async def allowed_operations(info: Info) -> list[str]:
    """In the schema's order: Query's fields, then Mutation's, then Subscription's; a name
    two roots share is listed once."""
    schema = info.schema._schema
    names: list[str] = []
    roots: list[GraphQLObjectType | None] = [
        schema.query_type,
        schema.mutation_type,
        schema.subscription_type,
    ]
    for root in roots:
        for name, field in (root.fields if root is not None else {}).items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if name not in names and await may_call(definition, info):
                names.append(name)
    return names


@strawberry.type
class AllowedOperationsQuery:
    @strawberry.field(
        description="The root fields of Query, Mutation and Subscription this credential may "
        "call, from the permissions the server enforces; anonymous callers get those that "
        "need no credential. A listed mutation may still refuse some targets (oneself, a "
        "super-admin)."
    )
    async def allowed_operations(self, info: Info) -> list[str]:
        return await allowed_operations(info)
