"""Every text argument of every field, checked once before its resolver runs.

The schema is walked when it is built: each field with a `String` or `ID` anywhere in its
arguments (directly, in a list or inside an input object) gets its resolver wrapped by a
check of the values the client sent, defaults included. A field added later is covered
without a line of its own. Passwords are exempt: they are never shown or stored, only
hashed, and a sign-in must compare what the user types; new passwords have their own rule
(`auth.passwords.validate_password`). So is `login`, whose failures all answer alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    get_named_type,
)

from core.errors import bad_input
from core.text import UNSAFE_TEXT_RULE, has_unsafe_characters

_TEXT_TYPES = (GraphQLString.name, GraphQLID.name)
# Signing in stores nothing it is given and must answer every failure alike, a malformed
# email included (`resolvers.sessions.login`), so its email is not refused here.
_SIGN_IN_FIELDS = frozenset({("Mutation", "login")})


def is_secret(name: str) -> bool:
    return name.lower().endswith("password")


def check_text_inputs(schema: GraphQLSchema) -> None:
    """Wrap the resolver of every field that takes text."""
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for field_name, field in type_.fields.items():
            if (type_.name, field_name) in _SIGN_IN_FIELDS:
                continue
            arguments = {
                name: argument
                for name, argument in field.args.items()
                if not is_secret(name) and _takes_text(argument, set())
            }
            if not arguments:
                continue
            if field.resolve is not None:
                field.resolve = TextChecked(field.resolve, arguments)
            if field.subscribe is not None:
                field.subscribe = TextChecked(field.subscribe, arguments)


def _takes_text(argument: GraphQLArgument | GraphQLInputField, seen: set[str]) -> bool:
    named = get_named_type(argument.type)
    if isinstance(named, GraphQLInputObjectType):
        if named.name in seen:
            return False
        seen.add(named.name)
        return any(
            _takes_text(field, seen) for name, field in named.fields.items() if not is_secret(name)
        )
    return named.name in _TEXT_TYPES


class TextChecked:
    """A field's resolver, run only when no text argument breaks the rule."""

    def __init__(self, resolve: Callable[..., Any], arguments: dict[str, GraphQLArgument]) -> None:
        self.resolve = resolve
        self.arguments = arguments

    def __call__(self, source: Any, info: Any, **kwargs: Any) -> Any:
        for name, argument in self.arguments.items():
            if name in kwargs:
                for path in _unsafe_paths(kwargs[name], argument.type, name):
                    raise bad_input(f"`{path}` {UNSAFE_TEXT_RULE}.")
        return self.resolve(source, info, **kwargs)


def _unsafe_paths(value: Any, type_: Any, path: str) -> Iterator[str]:
    if value is None:
        return
    if isinstance(type_, GraphQLNonNull):
        yield from _unsafe_paths(value, type_.of_type, path)
    elif isinstance(type_, GraphQLList):
        if isinstance(value, list):
            for item in value:
                yield from _unsafe_paths(item, type_.of_type, path)
    elif isinstance(type_, GraphQLInputObjectType):
        if isinstance(value, dict):
            for name, field in type_.fields.items():
                if name in value and not is_secret(name):
                    yield from _unsafe_paths(value[name], field.type, f"{path}.{name}")
    elif type_.name in _TEXT_TYPES and isinstance(value, str) and has_unsafe_characters(value):
        yield path
