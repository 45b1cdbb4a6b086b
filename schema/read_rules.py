"""Who may read a type, said once on the type and applied to every field that returns it.

`@read_rule(rule)` on a GraphQL type registers its rule; `apply_read_rules(Query, Mutation)`,
run once when the schema is put together, walks every field reachable from the roots and
gives each one that returns a protected type — directly, in a list, in a Connection, or
behind an interface such as Relay's Node — a `ReadRuleExtension`. A field added later
that returns a User is protected without saying so. The only fields left out are those
marked `own_user()`: they answer the caller's own user (`me`, a login's payload).

A rule with `owner_of` guards rows only their owner may read (a passkey): besides the
roles, every row a field answers must belong to the caller's user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver, SyncExtensionResolver
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    get_object_definition,
)
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.union import StrawberryUnion

from auth.principal import Principal
from core.enums import Role
from core.errors import GatehouseError, forbidden

T = TypeVar("T", bound=type)


@dataclass(frozen=True)
class ReadRule:
    """`roles` may read the type. With `owner_of` (the id of the user a row belongs to), a
    row is read only by its owner, or by a role in `every_row`. `people_only` refuses API
    keys whatever their owner could read."""

    roles: frozenset[Role]
    message: str
    owner_of: Callable[[Any], int] | None = None
    every_row: frozenset[Role] = frozenset()
    people_only: bool = False

    def allows(self, actor: Any) -> bool:
        if not isinstance(actor, Principal) or (self.people_only and actor.api_key is not None):
            return False
        return actor.role in self.roles

    def require(self, actor: Any) -> None:
        if not self.allows(actor):
            raise forbidden(self.message)

    def allows_row(self, actor: Any, row: Any) -> bool:
        return self.owner_of is None or self.allows_owner(actor, self.owner_of(row))

    def allows_owner(self, actor: Any, owner_id: int | None) -> bool:
        """Whether the actor may read the rows of the user `owner_id`."""
        if not self.allows(actor):
            return False
        return self.owner_of is None or actor.role in self.every_row or owner_id == actor.user_id


_RULES: dict[type, ReadRule] = {}


def read_rule(rule: ReadRule) -> Callable[[T], T]:
    def attach(cls: T) -> T:
        _RULES[cls] = rule
        return cls

    return attach


def rule_of(cls: type) -> ReadRule | None:
    return _RULES.get(cls)


class ReadRuleExtension(FieldExtension):
    """Innermost on the field (first in its list): the field's own permission answers
    first, as it always did, and the type's rule guards what the resolver returns."""

    def __init__(self, protected: type, rule: ReadRule, *, behind_interface: bool) -> None:
        self.protected = protected
        self.rule = rule
        self.behind_interface = behind_interface

    def resolve(
        self, next_: SyncExtensionResolver, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        # Only a field that returns the type itself is sync here; it is checked up front,
        # so its result may stay an awaitable (a DataLoader's) that graphql-core awaits.
        self.rule.require(info.context.actor)
        return self._owned(info.context.actor, next_(source, info, **kwargs))

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        if not self.behind_interface:
            self.rule.require(info.context.actor)
            return self._owned(info.context.actor, await next_(source, info, **kwargs))
        result = await next_(source, info, **kwargs)
        if self.rule.allows(info.context.actor):
            return self._owned(info.context.actor, result)
        if isinstance(result, list):
            # As `nodes` answers: the refused entry alone is null, its error at its index.
            return [
                self._refused() if isinstance(item, self.protected) else item for item in result
            ]
        if isinstance(result, self.protected):
            raise self._refused()
        return result

    def _refused(self) -> GatehouseError:
        return forbidden(self.rule.message)

    def _owned(self, actor: Any, result: Any) -> Any:
        """The result, when every protected row in it is the caller's to read."""
        if self.rule.owner_of is None:
            # Every row is readable once the type is (`allows_row`): a creator on each
            # key of a page needs no second look.
            return result
        rows = result if isinstance(result, list) else [result]
        for row in rows:
            if isinstance(row, self.protected) and not self.rule.allows_row(actor, row):
                raise self._refused()
        return result


class OwnUser(FieldExtension):
    """Marks a field that answers the caller's own user: no read rule applies."""


def own_user() -> OwnUser:
    return OwnUser()


def _returned(field_type: Any) -> Iterator[tuple[type, bool]]:
    """The object types a field can answer with, each with whether only an interface
    (or union) stands for it in the field's declared type."""
    if isinstance(field_type, LazyType):
        field_type = field_type.resolve_type()
    if isinstance(field_type, StrawberryOptional | StrawberryList):
        yield from _returned(field_type.of_type)
        return
    if isinstance(field_type, StrawberryUnion):
        for member in field_type.types:
            yield from ((cls, True) for cls, _ in _returned(member))
        return
    definition = get_object_definition(field_type)
    if definition is None:
        return
    if definition.concrete_of is not None:  # Connection[User], Edge[User]
        for argument in definition.type_var_map.values():
            yield from _returned(argument)
        return
    if definition.is_interface:
        for cls in _RULES:
            implemented = get_object_definition(cls, strict=True).interfaces
            if any(interface.origin is definition.origin for interface in implemented):
                yield cls, True
        return
    yield field_type, False


def _fields(cls: type) -> list[StrawberryField]:
    definition = get_object_definition(cls)
    return [] if definition is None else list(definition.fields)


def _nested_types(field_type: Any) -> Iterator[type]:
    if isinstance(field_type, LazyType):
        field_type = field_type.resolve_type()
    if isinstance(field_type, StrawberryOptional | StrawberryList):
        yield from _nested_types(field_type.of_type)
    elif isinstance(field_type, StrawberryUnion):
        for member in field_type.types:
            yield from _nested_types(member)
    elif get_object_definition(field_type) is not None:
        yield field_type


def reachable_fields(*roots: type) -> Iterator[tuple[type, StrawberryField]]:
    """Every (type, field) the schema can answer through, from the roots and the protected
    types (which an interface field may answer with)."""
    seen: set[type] = set()
    pending = [*roots, *_RULES]
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for field in _fields(cls):
            yield cls, field
            pending.extend(_nested_types(field.type))


def protection_of(field: StrawberryField) -> tuple[type, ReadRule, bool] | None:
    """The protected type a field returns, its rule, and whether only an interface shows it."""
    for cls, behind_interface in _returned(field.type):
        rule = _RULES.get(cls)
        if rule is not None:
            return cls, rule, behind_interface
    return None


def is_container(cls: type) -> bool:
    """A specialised generic (Connection[User], Edge[User]): reached only through a field
    that returns it, which carries the rule, so its own fields need not check again on
    every edge of every page."""
    definition = get_object_definition(cls)
    return definition is not None and definition.concrete_of is not None


def apply_read_rules(*roots: type) -> None:
    for cls, field in reachable_fields(*roots):
        if is_container(cls) or any(
            isinstance(each, ReadRuleExtension | OwnUser) for each in field.extensions
        ):
            continue
        protection = protection_of(field)
        if protection is not None:
            protected, rule, behind_interface = protection
            field.extensions.insert(
                0, ReadRuleExtension(protected, rule, behind_interface=behind_interface)
            )
