"""Permission strings for other backends, and the expressions a verification checks them by.

A permission is `resource:action` (`invoices:read`), matching PERMISSION_PATTERN. A key's
own permission may end its action in `*` (`admin:*`, `invoices:re*`): it then grants every
permission of that resource whose action starts with what comes before the `*`. Terms of
an expression are never patterns: `admin:*` in an expression asks for the literal
permission `admin:*`, which only a key holding `admin:*` has.

An expression is parsed by the small recursive-descent parser below, never evaluated as
code:

    expression := conjunction ("OR" conjunction)*
    conjunction := operand ("AND" operand)*
    operand     := PERMISSION | "(" expression ")"

`AND` binds tighter than `OR`; the keywords take any letter case. A malformed expression
raises `ExpressionError` with the 1-based column where the parser gave up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

PERMISSION_PATTERN = re.compile(r"[a-z0-9_.-]+:[a-z0-9_.*-]+")
MAX_PERMISSIONS = 1000
MAX_PERMISSION_LENGTH = 200
MAX_EXPRESSION_LENGTH = 2000
MAX_EXPRESSION_DEPTH = 20

_TOKEN = re.compile(r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<word>[^\s()]+))")


class ExpressionError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at column {position})")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str  # "(", ")", "AND", "OR", "PERMISSION", "END"
    text: str
    position: int  # 1-based column


def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(expression):
        match = _TOKEN.match(expression, index)
        if match is None:  # only trailing white space is left
            break
        column = match.start(match.lastgroup or 0) + 1
        if match.group("open"):
            tokens.append(Token("(", "(", column))
        elif match.group("close"):
            tokens.append(Token(")", ")", column))
        else:
            word = match.group("word")
            upper = word.upper()
            if upper in {"AND", "OR"}:
                tokens.append(Token(upper, word, column))
            elif PERMISSION_PATTERN.fullmatch(word) and len(word) <= MAX_PERMISSION_LENGTH:
                tokens.append(Token("PERMISSION", word, column))
            else:
                raise ExpressionError(
                    f"{word[:40]!r} is not a permission (resource:action, lower case) nor "
                    "AND, OR or a parenthesis",
                    column,
                )
        index = match.end()
    tokens.append(Token("END", "", len(expression) + 1))
    return tokens


@dataclass(frozen=True)
class Permission:
    name: str


@dataclass(frozen=True)
class AllOf:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Node, ...]


Node = Permission | AllOf | AnyOf


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def parse(self) -> Node:
        node = self.expression()
        if self.current.kind != "END":
            raise self.unexpected("AND, OR or the end")
        return node

    def expression(self) -> Node:
        operands = [self.conjunction()]
        while self.current.kind == "OR":
            self.index += 1
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def conjunction(self) -> Node:
        operands = [self.operand()]
        while self.current.kind == "AND":
            self.index += 1
            operands.append(self.operand())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def operand(self) -> Node:
        token = self.current
        if token.kind == "PERMISSION":
            self.index += 1
            return Permission(token.text)
        if token.kind != "(":
            raise self.unexpected("a permission or (")
        self.depth += 1
        if self.depth > MAX_EXPRESSION_DEPTH:
            raise ExpressionError(
                f"parentheses nest deeper than {MAX_EXPRESSION_DEPTH} levels", token.position
            )
        self.index += 1
        node = self.expression()
        if self.current.kind != ")":
            raise self.unexpected(f"')' to close the '(' at column {token.position}")
        self.index += 1
        self.depth -= 1
        return node

    def unexpected(self, wanted: str) -> ExpressionError:
        token = self.current
        found = "the end" if token.kind == "END" else repr(token.text)
        return ExpressionError(f"expected {wanted}, found {found}", token.position)


def parse_expression(expression: str) -> Node:
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters",
            MAX_EXPRESSION_LENGTH + 1,
        )
    if not expression.strip():
        raise ExpressionError("the expression is empty", 1)
    return _Parser(tokenize(expression)).parse()


class PermissionSet:
    """A key's permissions, ready for matching: exact names in a set, patterns apart."""

    def __init__(self, permissions: Iterable[str]) -> None:
        self.exact: frozenset[str] = frozenset(permissions)
        self.prefixes = tuple(
            permission[:-1] for permission in self.exact if permission.endswith("*")
        )

    def grants(self, permission: str) -> bool:
        if permission in self.exact:
            return True
        # A prefix holds the colon (a resource has no `*`), so it never crosses resources.
        return any(permission.startswith(prefix) for prefix in self.prefixes)


def satisfies(node: Node, permissions: PermissionSet) -> bool:
    if isinstance(node, Permission):
        return permissions.grants(node.name)
    if isinstance(node, AllOf):
        return all(satisfies(operand, permissions) for operand in node.operands)
    return any(satisfies(operand, permissions) for operand in node.operands)
