"""Who may read a User is said once, on the type (schema/read_rules.py), and every field
that reaches a User carries it: checked by walking the built schema, and shown on a field
the production schema does not have."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import strawberry
from graphql import (
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    get_named_type,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

from auth.principal import Actor, Principal
from models import Role, User
from schema import build_schema
from schema.read_rules import OwnUser, ReadRuleExtension, apply_read_rules
from schema.users import UserType
from tests.support.factories import make_user


def _graphql_schema() -> dict[str, GraphQLNamedType]:
    return dict(build_schema()._schema.type_map)


def _is_container(graphql_type: GraphQLNamedType) -> bool:
    return isinstance(graphql_type, GraphQLObjectType) and (
        graphql_type.name.endswith("Connection") or graphql_type.name.endswith("Edge")
    )


def _reaches_user(graphql_type: GraphQLNamedType, user: GraphQLObjectType) -> bool:
    if graphql_type is user:
        return True
    if isinstance(graphql_type, GraphQLInterfaceType):
        return graphql_type in user.interfaces
    if _is_container(graphql_type):
        assert isinstance(graphql_type, GraphQLObjectType)
        inner = graphql_type.fields.get("nodes") or graphql_type.fields.get("node")
        return inner is not None and _reaches_user(get_named_type(inner.type), user)
    return False


def test_every_field_that_reaches_a_user_carries_the_read_rule() -> None:
    types = _graphql_schema()
    user = types["User"]
    assert isinstance(user, GraphQLObjectType)
    unprotected: list[str] = []
    protected: list[str] = []
    for type_name, graphql_type in types.items():
        if not isinstance(graphql_type, GraphQLObjectType) or _is_container(graphql_type):
            continue  # a page of users is reached only through the field returning it
        for field_name, field in graphql_type.fields.items():
            if not _reaches_user(get_named_type(field.type), user):
                continue
            definition = (field.extensions or {})[GraphQLCoreConverter.DEFINITION_BACKREF]
            marks = [e for e in definition.extensions if isinstance(e, ReadRuleExtension)]
            own = [e for e in definition.extensions if isinstance(e, OwnUser)]
            (protected if marks or own else unprotected).append(f"{type_name}.{field_name}")
    assert unprotected == []
    # The walk sees the fields it judges: these are known to reach a User.
    assert {"Query.users", "Query.user", "Query.node", "Query.nodes", "ApiKey.createdBy"} <= set(
        protected
    )


def test_only_the_callers_own_user_is_exempt() -> None:
    exempt = set()
    for type_name, graphql_type in _graphql_schema().items():
        if isinstance(graphql_type, GraphQLObjectType):
            for field_name, field in graphql_type.fields.items():
                definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
                if any(isinstance(e, OwnUser) for e in getattr(definition, "extensions", ())):
                    exempt.add(f"{type_name}.{field_name}")
    assert exempt == {"Query.me", "LoginPayload.user"}


# A field the product does not have: a later feature's "inviter" that forgets the rule.
@strawberry.type
class InvitationQuery:
    @strawberry.field(description="A user reached by a path the rule's authors never saw.")
    async def inviter(self, user_id: int) -> UserType | None:
        user = await User.get_or_none(id=user_id)
        return UserType.from_model(user) if user else None


@dataclass
class _Context:
    actor: Actor


@pytest.mark.parametrize(("role", "readable"), [(Role.READ_ONLY, False), (Role.ADMIN, True)])
async def test_a_new_field_returning_a_user_is_protected_by_construction(
    db: None, role: Role, readable: bool
) -> None:
    apply_read_rules(InvitationQuery)
    schema = strawberry.Schema(query=InvitationQuery)
    target = await make_user(roles=(Role.SUPER_ADMIN,))
    reader = await make_user(roles=(role,))

    result = await schema.execute(
        "query($id: Int!) { inviter(userId: $id) { email } }",
        variable_values={"id": target.id},
        context_value=_Context(Principal(user=reader)),
    )

    if readable:
        assert result.errors is None
        assert result.data == {"inviter": {"email": target.email}}
    else:
        assert result.data == {"inviter": None}
        assert [error.message for error in result.errors or []] == [
            "Reading users needs the SUPER_ADMIN or ADMIN role."
        ]
