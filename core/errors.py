"""The error model: every refusal the server gives is a `GatehouseError`.

An error knows its contract code (`extensions.code`), an optional `reason` (a stable name
for the rule that refused), its other extensions (`retryAfter`, `requiredScope`, `limit`,
...) and, for when it refuses a whole request, its HTTP status and headers. GraphQL
formats it in `schema.errors`; every other answer is built by `gatehouse.error_responses`;
both take the extensions from `graphql_extensions()` here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL = "INTERNAL"


INTERNAL_MESSAGE = "Internal server error."

# The one table between codes and HTTP statuses, read both ways: a whole-request refusal
# takes its status from its code (unless it names another), and an answer that never met
# a code (a refused body, an unknown path) is counted under the code of its status.
_STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL: 500,
}
_CODE_BY_STATUS = {status: code for code, status in _STATUS_BY_CODE.items()}


def status_for(code: ErrorCode) -> int:
    return _STATUS_BY_CODE[code]


def code_for_status(status: int) -> ErrorCode:
    """The code of an error status: 5xx is INTERNAL, any 4xx without its own code (405,
    408, 413, 415, ...) is BAD_USER_INPUT."""
    if status >= 500:
        return ErrorCode.INTERNAL
    return _CODE_BY_STATUS.get(status, ErrorCode.BAD_USER_INPUT)


class GatehouseError(Exception):
    """`reason`, when given, says which rule refused (`extensions.reason`): a stable name a
    client can act on, where the code alone (FORBIDDEN) cannot tell the rules apart.

    `status_code` and `headers` matter only when the error refuses a whole request (raised
    before any operation ran): GraphQL errors inside a result carry extensions only."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        reason: str | None = None,
        extensions: Mapping[str, object] | None = None,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.extensions: dict[str, object] = dict(extensions or {})
        self.status_code = status_for(code) if status_code is None else status_code
        self.headers: dict[str, str] = dict(headers or {})

    def graphql_extensions(self) -> dict[str, object]:
        """`extensions` as clients get them: the code first, then the reason, then the rest."""
        reason = {} if self.reason is None else {"reason": self.reason}
        return {"code": self.code.value, **reason, **self.extensions}


class MissingScopeError(GatehouseError):
    """FORBIDDEN because the caller's API key lacks the operation's scope (its owner's role
    would allow it): `required_scope` becomes `extensions.requiredScope`."""

    def __init__(self, scope: str) -> None:
        super().__init__(
            ErrorCode.FORBIDDEN,
            f"This API key lacks the {scope} scope this operation needs.",
            extensions={"requiredScope": scope},
        )
        self.required_scope = scope


class RateLimitedError(GatehouseError):
    """RATE_LIMITED, with the whole seconds to wait before trying again: clients get it as
    `extensions.retryAfter`, and requests refused before execution as `Retry-After` too
    (HTTP 429: GraphQL over HTTP allows non-200 answers to request errors)."""

    def __init__(self, retry_after: float, message: str) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            ErrorCode.RATE_LIMITED,
            message,
            extensions={"retryAfter": seconds},
            headers={"Retry-After": str(seconds)},
        )
        self.retry_after = seconds


USAGE_EXCEEDED = "USAGE_EXCEEDED"


def usage_exceeded(retry_after: float) -> RateLimitedError:
    """RATE_LIMITED, reason USAGE_EXCEEDED: the key has no credit left until its refill."""
    error = RateLimitedError(
        retry_after, "This API key has no credits left (remaining is 0) until its refill."
    )
    error.reason = USAGE_EXCEEDED
    return error


class CredentialRefused(GatehouseError):  # noqa: N818 - names the refusal, like the codes
    """A valid credential refused before the operation runs (an address outside the key's
    allow-list): the whole request is answered with this error, with `status_code`,
    `extensions` beside the code and `headers`."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        status_code: int,
        extensions: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            code, message, extensions=extensions, status_code=status_code, headers=headers
        )


def bad_input(message: str) -> GatehouseError:
    return GatehouseError(ErrorCode.BAD_USER_INPUT, message)


def forbidden(
    message: str = "You are not allowed to do this.", *, reason: str | None = None
) -> GatehouseError:
    return GatehouseError(ErrorCode.FORBIDDEN, message, reason=reason)


def not_found(what: str) -> GatehouseError:
    return GatehouseError(ErrorCode.NOT_FOUND, f"{what} not found.")


def unauthenticated(
    message: str = "Authentication required.", *, reason: str | None = None
) -> GatehouseError:
    return GatehouseError(ErrorCode.UNAUTHENTICATED, message, reason=reason)


# Whole-request refusals of the HTTP layer, named once here with their statuses.


def request_refused(
    status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> GatehouseError:
    """A request refused for its form (a body too large or too slow, a wrong method or
    content type): the code follows the status."""
    return GatehouseError(
        code_for_status(status_code), message, status_code=status_code, headers=headers
    )


def unavailable(
    message: str = INTERNAL_MESSAGE, headers: Mapping[str, str] | None = None
) -> GatehouseError:
    """INTERNAL with 503: the request may succeed later (a database outage, a stop)."""
    return GatehouseError(ErrorCode.INTERNAL, message, status_code=503, headers=headers)


def internal() -> GatehouseError:
    """A bug: the client learns nothing but that it happened (the log has the rest)."""
    return GatehouseError(ErrorCode.INTERNAL, INTERNAL_MESSAGE)
