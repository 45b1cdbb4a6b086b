"""GraphQL over HTTP: which media type answers a request, and with which status.

`application/json` stays the default and answers 200 for every GraphQL result, errors
included, as clients written before the GraphQL-over-HTTP spec expect. A client that asks
for `application/graphql-response+json` gets the spec's status codes: 400 when the request
failed before execution (a document that does not parse or validate, variables that do not
coerce), 200 once execution started, even if every field failed.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql.error import GraphQLError

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _quality(accept: str, media_type: str) -> float:
    """The q-value the Accept header gives `media_type`, counting `*/*` and `application/*`."""
    main_type = media_type.split("/", 1)[0]
    best = -1.0
    specificity = -1
    for part in accept.split(","):
        name, *params = (piece.strip() for piece in part.split(";"))
        name = name.lower()
        level = {media_type: 2, f"{main_type}/*": 1, "*/*": 0}.get(name)
        if level is None or level < specificity:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if level > specificity:
            best, specificity = quality, level
        else:
            best = max(best, quality)
    return best


def negotiate(accept: str | None) -> str:
    """`application/graphql-response+json` only when the client names it and likes it at
    least as much as `application/json`; anything else gets `application/json`."""
    if not accept or GRAPHQL_RESPONSE not in accept.lower():
        return JSON
    wanted = _quality(accept, GRAPHQL_RESPONSE)
    return GRAPHQL_RESPONSE if wanted > 0 and wanted >= _quality(accept, JSON) else JSON


def failed_before_execution(data: object, errors: Sequence[GraphQLError] | None) -> bool:
    """Errors met while executing carry the path of their field; errors from parsing,
    validation and variable coercion have none, and no data comes with them."""
    return data is None and bool(errors) and all(not error.path for error in errors or ())
