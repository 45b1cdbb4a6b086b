"""Prometheus metrics, defined here at the bottom so that any layer may count without
importing upwards.

With several workers `gatehouse serve` points `PROMETHEUS_MULTIPROC_DIR` at a fresh
directory before they start; each worker then writes its figures there and whichever worker
answers a scrape sums them all. That variable has to be set before `prometheus_client` is
imported, which is why the worker processes (spawned, not forked) inherit it.
"""

from __future__ import annotations

import os
import re

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Operation names come from clients; past this many distinct names a process counts the
# rest as "other", so a client cannot grow the series without bound.
MAX_OPERATION_LABELS = 100
KNOWN_ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
_seen_operations: set[str] = set()
# `_created` series double the output and nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

REQUESTS = Counter(
    "gatehouse_requests",
    "HTTP requests by route, GraphQL operation and outcome (OK or the first error's code).",
    ["route", "operation", "operation_type", "outcome"],
)
REQUEST_DURATION = Histogram(
    "gatehouse_request_duration_seconds",
    "Time from a request's arrival to the end of its answer.",
    ["route", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DATABASE_DURATION = Histogram(
    "gatehouse_request_database_seconds",
    "Time a request spent in database calls, waiting for the connection included.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)
AUTHENTICATION_FAILURES = Counter(
    "gatehouse_authentication_failures",
    "Refused credentials by reason: missing (on an operation that needs one), malformed, "
    "unknown, expired, revoked, inactive (the owner is deactivated or gone).",
    ["reason"],
)
API_KEY_CALLS = Counter("gatehouse_api_key_calls", "Requests authenticated by an API key.")
PASSWORD_HASHES_IN_PROGRESS = Gauge(
    "gatehouse_password_hashes_in_progress",
    "Argon2 hashes and verifications running now.",
    multiprocess_mode="livesum",
)
PASSWORD_HASH_POOL_SIZE = Gauge(
    "gatehouse_password_hash_pool_size",
    "How many Argon2 computations may run at once, summed over workers.",
    multiprocess_mode="livesum",
)
PASSWORD_HASHES_WAITING = Gauge(
    "gatehouse_password_hashes_waiting",
    "Argon2 computations waiting for a free slot in the pool.",
    multiprocess_mode="livesum",
)
PASSWORD_HASH_REFUSALS = Counter(
    "gatehouse_password_hash_refusals",
    "Logins refused with RATE_LIMITED because the Argon2 pool stayed saturated.",
)
WRITE_CONFLICT_RETRIES = Counter(
    "gatehouse_write_conflict_retries",
    "Transactions run again after the database rolled them back for a deadlock, a "
    "serialization failure or a busy SQLite file, by what was being written.",
    ["operation"],
)
DATABASE_POOL_SIZE = Gauge(
    "gatehouse_database_pool_connections",
    "Open connections in the database pool (PostgreSQL), summed over workers.",
    multiprocess_mode="livesum",
)
DATABASE_POOL_IDLE = Gauge(
    "gatehouse_database_pool_idle_connections",
    "Idle connections in the database pool (PostgreSQL), summed over workers.",
    multiprocess_mode="livesum",
)
DATABASE_POOL_MAX = Gauge(
    "gatehouse_database_pool_max_connections",
    "The database pool's upper bound (PostgreSQL), summed over workers.",
    multiprocess_mode="livesum",
)


OPEN_SUBSCRIPTIONS = Gauge(
    "gatehouse_open_subscriptions",
    "GraphQL subscriptions open now (WebSocket and SSE).",
    multiprocess_mode="livesum",
)
SUBSCRIPTION_MESSAGES = Counter(
    "gatehouse_subscription_messages",
    "Values sent to GraphQL subscriptions, by root field.",
    ["field"],
)


def route_label(path: str) -> str:
    return path if path in KNOWN_ROUTES else "other"


def operation_label(name: str | None) -> str:
    if name is None:
        return "-"
    if name in _seen_operations:
        return name
    if not _GRAPHQL_NAME.fullmatch(name) or len(_seen_operations) >= MAX_OPERATION_LABELS:
        return "other"
    _seen_operations.add(name)
    return name


def is_multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROCESS_DIR_VARIABLE))


def exposition() -> tuple[bytes, str]:
    """The text a scrape gets: every worker's figures when several serve."""
    if is_multiprocess():
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def forget_this_process() -> None:
    """Drop this worker's live gauges when it stops, so that sums cover live workers only."""
    if is_multiprocess():
        prometheus_multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
