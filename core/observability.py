"""What one request did, gathered while it runs and written as one log line at its end.

The request-log middleware opens a `RequestRecord` for each HTTP request; lower layers
(credentials, the database instrumentation, the GraphQL extension) fill it in through
the context variable without knowing about the middleware.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass
class RequestRecord:
    request_id: str
    operation_name: str | None = None
    operation_type: str | None = None
    principal_kind: str = "anonymous"
    principal_id: str | None = None
    user_id: str | None = None
    outcome: str | None = None
    auth_failure: str | None = None
    db_seconds: float = 0.0
    db_statements: int = 0


_current: ContextVar[RequestRecord | None] = ContextVar("gatehouse_request", default=None)


def current_request() -> RequestRecord | None:
    return _current.get()


def begin_request(record: RequestRecord) -> Token[RequestRecord | None]:
    return _current.set(record)


def end_request(token: Token[RequestRecord | None]) -> None:
    _current.reset(token)


def note_auth_failure(reason: str) -> None:
    """Why a credential was refused: malformed, unknown, expired, revoked, disabled or
    inactive."""
    record = _current.get()
    if record is not None:
        record.auth_failure = reason


def note_database_time(seconds: float) -> None:
    record = _current.get()
    if record is not None:
        record.db_seconds += seconds
        record.db_statements += 1
