"""The name of the GraphQL operation a request asks for, known before it runs: the usage
roll-ups count a key's call under it when the call is counted, before execution.

The name is the request's `operationName` when it sends one; else the name of the
document's only operation, from the schema's parsed-document cache when the document was
seen before (a client's usual requests), or from a scan of its tokens (bounded, nothing is
parsed twice). None for an anonymous operation, a body that is not a GraphQL request, or a
document that is not one operation; the roll-ups call those "(anonymous)".
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode
from graphql.language import Lexer, Source, TokenKind
from starlette.requests import Request

from schema.documents import DocumentCache

_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_OPERATION_KEYWORDS = frozenset({"query", "mutation", "subscription"})
# A document longer than this many tokens is not scanned: it is refused by the query limits
# (MAX_QUERY_TOKENS) anyway, and its call is recorded as anonymous.
MAX_SCANNED_TOKENS = 20_000


async def requested_operation(request: Request, documents: DocumentCache) -> str | None:
    request_data = await _request_data(request)
    if request_data is None:
        return None
    name = request_data.get("operationName")
    if isinstance(name, str) and name:
        # Not a GraphQL name, it names no operation (the request fails): not recorded as
        # given, so no client text reaches the roll-ups that a document could not hold.
        return name if _GRAPHQL_NAME.fullmatch(name) else None
    query = request_data.get("query")
    if not isinstance(query, str):
        return None
    cached = documents.get(query)
    if cached is not None:
        operations = [
            definition
            for definition in cached.document.definitions
            if isinstance(definition, OperationDefinitionNode)
        ]
        if len(operations) == 1 and operations[0].name is not None:
            return operations[0].name.value
        return None
    return _scan_for_name(query)


async def _request_data(request: Request) -> dict[str, Any] | None:
    if request.method == "GET":
        return dict(request.query_params)
    if request.method != "POST":
        return None
    if "json" not in request.headers.get("content-type", ""):
        return None
    # Starlette keeps the body it read: Strawberry's own reading of it costs nothing more.
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _scan_for_name(query: str) -> str | None:
    """The name of the document's only operation: every top-level `{` opens the body of
    the definition named before it (a shorthand `{ ... }` is an anonymous operation)."""
    lexer = Lexer(Source(query))
    depth = parentheses = 0
    header: str | None = None  # "operation" or "fragment", until its body opens
    names: list[str | None] = []
    try:
        for _ in range(MAX_SCANNED_TOKENS):
            token = lexer.advance()
            kind = token.kind
            if kind == TokenKind.EOF:
                break
            if kind == TokenKind.PAREN_L:
                parentheses += 1
            elif kind == TokenKind.PAREN_R:
                parentheses -= 1
            elif parentheses:
                continue  # variables, arguments: their `{` are input objects
            elif kind == TokenKind.BRACE_L:
                if depth == 0 and header is None:
                    names.append(None)
                header = None
                depth += 1
            elif kind == TokenKind.BRACE_R:
                depth -= 1
            elif depth == 0 and header is None and kind == TokenKind.NAME:
                if token.value in _OPERATION_KEYWORDS:
                    header = "operation"
                    following = lexer.lookahead()
                    names.append(following.value if following.kind == TokenKind.NAME else None)
                elif token.value == "fragment":
                    header = "fragment"
        else:
            return None
    except GraphQLError:
        return None
    return names[0] if len(names) == 1 else None
