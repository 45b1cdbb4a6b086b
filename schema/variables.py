"""Variables that fail coercion are answered with the variable's name, where in it the
fault is, and the type expected, never with the value given.

graphql-core quotes the value in its message ("… cannot represent a non string value:
{'value': 'hunter2'}") and keeps the scalar's exception as the original error, which our
error logging would take for a bug and print with a traceback. The value may be a password,
so the errors are rebuilt here, where they are made, before an answer, a log line or a
trace sees them.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    VariableDefinitionNode,
    type_from_ast,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from core.errors import ErrorCode

# graphql-core's messages that name types and fields but no value, cut before ", found: …".
_STRUCTURAL = re.compile(
    r"Expected a value of non-null type '[^']+' to be provided"
    r"|Expected value of non-null type '[^']+' not to be None"
    r"|Expected value of type '[^']+' to be an object"
    r"|Expected value of type '[^']+' to include required field '\w+'"
    r"|Expected value of type '[^']+' not to include unknown field '\w+'"
    r"|Within OneOf Input Object type '\w+', exactly one field must be specified"
)
_PATH_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")


def variable_error(schema: GraphQLSchema, error: GraphQLError) -> GraphQLError:
    """`error` as the client may see it and the log may keep: a BAD_USER_INPUT without
    the value. Errors that are not about a variable's value pass as they are."""
    node = error.nodes[0] if error.nodes else None
    inner = error.original_error
    if not isinstance(node, VariableDefinitionNode) or not isinstance(inner, GraphQLError):
        return error
    name = node.variable.name.value
    prefix, suffix = f"Variable '${name}' has invalid value", f": {inner.message}"
    if not (error.message.startswith(prefix) and error.message.endswith(suffix)):
        return _bad_input(error, f"Variable '${name}' has an invalid value.")
    # Made by graphql-core from the names of defined fields and list indices only.
    path = error.message[len(prefix) : len(error.message) - len(suffix)].removeprefix(" at ")
    where = f" at '{name}{path}'" if path else ""
    structural = _STRUCTURAL.match(inner.message)
    if structural is not None:
        reason = structural.group(0)
    else:
        expected = _type_at(type_from_ast(schema, node.type), path)
        reason = f"expected a value of type '{expected}'" if expected else "not a valid value"
    return _bad_input(error, f"Variable '${name}' has an invalid value{where}: {reason}.")


def _type_at(variable_type: Any, path: str) -> GraphQLInputType | None:
    current = variable_type
    for field_name, index in _PATH_STEP.findall(path):
        named = current.of_type if isinstance(current, GraphQLNonNull) else current
        if index and isinstance(named, GraphQLList):
            current = named.of_type
        elif field_name and isinstance(named, GraphQLInputObjectType):
            field = named.fields.get(field_name)
            if field is None:
                return None
            current = field.type
        else:
            return None
    result: GraphQLInputType | None = current
    return result


def _bad_input(error: GraphQLError, message: str) -> GraphQLError:
    # No original error: the scalar's exception carries the value in its message.
    return GraphQLError(message, error.nodes, extensions={"code": ErrorCode.BAD_USER_INPUT.value})


class RedactingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    @classmethod
    def build(cls, schema: GraphQLSchema, *args: Any, **kwargs: Any) -> list[GraphQLError] | Any:
        built = super().build(schema, *args, **kwargs)
        if isinstance(built, list):
            return [variable_error(schema, error) for error in built]
        return built
