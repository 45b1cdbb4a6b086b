"""Database time per request, a trace span per statement, and the pool's figures.

Tortoise has no query hook, but every statement of every backend goes through a client's
`execute_*` methods (SQLite's reads on the event loop too: models.reads.LoopReader is a
client class), and every transaction through `begin`/`commit`/`rollback`. Wrapping
those on the client classes in use adds each call's wall time, waiting for the connection
or SQLite's lock included, to the running request's record, and, while a traced request
runs, records the call as a CLIENT span of that request.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection
from tortoise.exceptions import ConfigurationError

from core import metrics
from core.observability import note_database_time

TIMED_METHODS = (
    "execute_insert",
    "execute_query",
    "execute_query_dict",
    "execute_many",
    "execute_script",
    "begin",
    "commit",
    "rollback",
    "savepoint",
    "release_savepoint",
    "savepoint_rollback",
)
_TIMED_MARK = "_gatehouse_timed"
# Statements are parameterised, but a literal may still be written into one: blanked, so
# no value (an email, a hash) reaches a trace.
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
MAX_TRACED_STATEMENT = 2000
_DIALECTS = {"postgres": "postgresql", "sqlite": "sqlite"}


# The tracer of the traced request running in this context, if any. A context variable,
# because the statements run deep inside Tortoise, where nothing can be passed to them;
# set in one place, `TraceRequests` (gatehouse/tracing.py), for each request it traces.
_tracer: ContextVar[Any] = ContextVar("gatehouse_database_tracer", default=None)


def trace_statements(tracer_provider: Any) -> None:
    """Record database calls made from here on in this context (a traced request and the
    tasks it starts) as spans of `tracer_provider`."""
    _tracer.set(tracer_provider.get_tracer("gatehouse.database"))


def _span(client: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A started span for this call, or None when no traced request is running (start-up,
    the webhook sender, untraced apps)."""
    from opentelemetry import trace

    if not trace.get_current_span().is_recording():
        return None
    attributes: dict[str, str] = {}
    dialect = getattr(getattr(client, "capabilities", None), "dialect", None)
    if dialect is not None:
        attributes["db.system.name"] = _DIALECTS.get(dialect, dialect)
    query = args[0] if args else kwargs.get("query")
    if name.startswith("execute_") and isinstance(query, str):
        statement = " ".join(_SQL_STRING.sub("'?'", query).split())
        operation = statement.partition(" ")[0].upper() or name
        attributes["db.query.text"] = statement[:MAX_TRACED_STATEMENT]
    else:
        operation = name.upper()  # BEGIN, COMMIT, ROLLBACK, SAVEPOINT …
    attributes["db.operation.name"] = operation
    return _tracer.get().start_span(operation, kind=trace.SpanKind.CLIENT, attributes=attributes)


def _timed(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        span = _span(args[0], method.__name__, args[1:], kwargs) if _tracer.get() else None
        try:
            if span is None:
                return await method(*args, **kwargs)
            from opentelemetry import trace

            # The error's type only: a driver's message may quote a row's values.
            with trace.use_span(
                span, end_on_exit=True, record_exception=False, set_status_on_exception=False
            ):
                try:
                    return await method(*args, **kwargs)
                except Exception as exc:
                    span.set_attribute("error.type", type(exc).__name__)
                    span.set_status(trace.StatusCode.ERROR)
                    raise
        finally:
            note_database_time(time.perf_counter() - started)

    setattr(timed, _TIMED_MARK, True)
    return timed


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    subclass: type
    for subclass in cls.__subclasses__():
        found.append(subclass)
        found.extend(_subclasses(subclass))
    return found


def instrument_database_clients() -> None:
    """Idempotent; call after the backends in use are imported (Tortoise imports its
    client when it connects, so the app also calls this at the start of its lifespan)."""
    _import_installed_backends()
    for cls in _subclasses(BaseDBAsyncClient):
        for name in TIMED_METHODS:
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, _TIMED_MARK, False):
                setattr(cls, name, _timed(method))


def _import_installed_backends() -> None:
    # The two backends Gatehouse supports; importing them here means that their classes
    # are wrapped before the first connection, whichever comes first.
    import tortoise.backends.asyncpg.client
    import tortoise.backends.sqlite.client  # noqa: F401


def record_pool_figures() -> None:
    try:
        pool = getattr(get_connection("default"), "_pool", None)
    except (ConfigurationError, RuntimeError):  # no database context: nothing to report
        return
    if pool is None or not hasattr(pool, "get_size"):
        return
    metrics.DATABASE_POOL_SIZE.set(pool.get_size())
    metrics.DATABASE_POOL_IDLE.set(pool.get_idle_size())
    metrics.DATABASE_POOL_MAX.set(pool.get_max_size())
