"""Values that fail coercion are answered with the variable's name, where in it the fault
is, and the type expected, never with the value given.

graphql-core quotes the value in its message ("… cannot represent a non string value:
{'value': 'hunter2'}") and keeps the scalar's exception as the original error, which our
error logging would take for a bug and print with a traceback. The value may be a password,
so the errors are rebuilt here, where they are made, before an answer, a log line or a
trace sees them. Literals in the document get the same treatment in validation: a string
literal may be a password too (see `schema.observability.redact_literals`).
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    SKIP,
    ArgumentNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    ValueNode,
    VariableDefinitionNode,
    VisitorAction,
    type_from_ast,
)
from graphql.pyutils import print_path_list
from graphql.utilities.validate_input_value import validate_input_literal
from graphql.validation import ASTValidationRule, ValuesOfCorrectTypeRule
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from core.errors import bad_input
from schema.errors import graphql_error
from schema.plans import execute_plan, plan_for

# graphql-core's messages that name types and fields but no value, cut before ", found: …".
_STRUCTURAL = re.compile(
    r"Expected a value of non-null type '[^']+' to be provided"
    r"|Expected value of non-null type '[^']+' not to be None"
    r"|Expected value of type '[^']+' to be an object"
    r"|Expected value of type '[^']+' to include required field '\w+'"
    r"|Expected value of type '[^']+' not to include unknown field '\w+'"
    r"|Within OneOf Input Object type '\w+', exactly one field must be specified"
    r"|Expected variable '\$\w+' provided to (?:non-null )?(?:type|field) '[^']+'"
    r"(?: for OneOf Input Object type '\w+')? (?:to provide a runtime value|not to be None)"
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
    steps: list[str | int] = [
        field_name or int(index) for field_name, index in _PATH_STEP.findall(path)
    ]
    reason = _reason(inner.message, type_from_ast(schema, node.type), steps)
    return _bad_input(error, f"Variable '${name}' has an invalid value{where}: {reason}.")


def _reason(message: str, type_: Any, path: list[str | int]) -> str:
    structural = _STRUCTURAL.match(message)
    if structural is not None:
        return structural.group(0)
    expected = _type_at(type_, path)
    return f"expected a value of type '{expected}'" if expected else "not a valid value"


def _type_at(type_: Any, path: list[str | int]) -> GraphQLInputType | None:
    current = type_
    for step in path:
        named = current.of_type if isinstance(current, GraphQLNonNull) else current
        if isinstance(step, int) and isinstance(named, GraphQLList):
            current = named.of_type
        elif isinstance(step, str) and isinstance(named, GraphQLInputObjectType):
            field = named.fields.get(step)
            if field is None:
                return None
            current = field.type
        else:
            return None
    result: GraphQLInputType | None = current
    return result


def _bad_input(error: GraphQLError, message: str) -> GraphQLError:
    # No original error: the scalar's exception carries the value in its message.
    return graphql_error(bad_input(message), error.nodes)


class RedactingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    @classmethod
    def build(cls, schema: GraphQLSchema, *args: Any, **kwargs: Any) -> list[GraphQLError] | Any:
        built = super().build(schema, *args, **kwargs)
        if isinstance(built, list):
            return [variable_error(schema, error) for error in built]
        return built

    def execute_operation(self, serially: bool | None = None) -> Any:
        # Queries run from a plan compiled once per document (schema.plans); the rest as before.
        plan = plan_for(self) if serially is None else None
        if plan is None:
            return super().execute_operation(serially)
        return execute_plan(self, plan)


class LiteralsOfCorrectTypeRule(ValuesOfCorrectTypeRule):
    """The specification's rule, with messages that name the type expected, not the literal."""

    argument: str | None = None

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.argument = node.name.value

    def leave_argument(self, *_args: Any) -> None:
        self.argument = None

    def is_valid_value_node(
        self, node: ValueNode, input_type: GraphQLInputType | None
    ) -> VisitorAction:
        if input_type:

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                reason = _reason(error.message, input_type, path)
                what = f"Argument '{self.argument}'" if self.argument else "A default value"
                where = print_path_list(path).removeprefix(" at ")
                where = f" at '{self.argument or ''}{where}'" if path else ""
                self.report_error(
                    graphql_error(
                        bad_input(f"{what} has an invalid value{where}: {reason}."),
                        error.nodes or node,
                    )
                )

            validate_input_literal(
                node, input_type, on_error, None, None, self.context.hide_suggestions
            )
        return SKIP


def without_literal_values(
    rules: tuple[type[ASTValidationRule], ...],
) -> tuple[type[ASTValidationRule], ...]:
    return tuple(
        LiteralsOfCorrectTypeRule if rule is ValuesOfCorrectTypeRule else rule for rule in rules
    )
