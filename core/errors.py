"""The error codes of the contract, raised by domain code and mapped once in `schema.errors`."""

import math
from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL = "INTERNAL"


class GatehouseError(Exception):
    """`reason`, when given, says which rule refused (`extensions.reason`): a stable name a
    client can act on, where the code alone (FORBIDDEN) cannot tell the rules apart."""

    def __init__(self, code: ErrorCode, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason


class MissingScopeError(GatehouseError):
    """FORBIDDEN because the caller's API key lacks the operation's scope (its owner's role
    would allow it): `required_scope` becomes `extensions.requiredScope`."""

    def __init__(self, scope: str) -> None:
        super().__init__(
            ErrorCode.FORBIDDEN, f"This API key lacks the {scope} scope this operation needs."
        )
        self.required_scope = scope


class RateLimitedError(GatehouseError):
    """RATE_LIMITED, with the whole seconds to wait before trying again: clients get it as
    `extensions.retryAfter`, and requests refused before execution as `Retry-After` too."""

    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(ErrorCode.RATE_LIMITED, message)
        self.retry_after = max(1, math.ceil(retry_after))


def bad_input(message: str) -> GatehouseError:
    return GatehouseError(ErrorCode.BAD_USER_INPUT, message)


def forbidden(
    message: str = "You are not allowed to do this.", *, reason: str | None = None
) -> GatehouseError:
    return GatehouseError(ErrorCode.FORBIDDEN, message, reason=reason)


def not_found(what: str) -> GatehouseError:
    return GatehouseError(ErrorCode.NOT_FOUND, f"{what} not found.")


def unauthenticated(message: str = "Authentication required.") -> GatehouseError:
    return GatehouseError(ErrorCode.UNAUTHENTICATED, message)


class CredentialRefused(GatehouseError):  # noqa: N818 - names the refusal, like the codes
    """A valid credential refused before the operation runs (an address outside the key's
    allow-list, a key over its rate limit): the whole request is answered with this error,
    with `status_code`, `extensions` beside the code and `headers` such as Retry-After."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        status_code: int,
        extensions: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code, message)
        self.status_code = status_code
        self.extensions = extensions or {}
        self.headers = headers or {}
