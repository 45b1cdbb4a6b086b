"""Connections a client opens and never finishes cannot exhaust a live server: a header-read
timeout, a cap per client address and one per process, below its descriptor limit."""

from __future__ import annotations

import resource
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import LiveServer, launch

HALF_THE_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
SERVER_DESCRIPTORS = 1024
SLOW_CLIENTS = 1100
# Bounds a hang, not a measurement: the slack is for a loaded two-core machine.
SLACK_SECONDS = 15


@pytest.fixture(autouse=True)
def enough_descriptors_for_the_attacker() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, SLOW_CLIENTS + 500)
    if wanted < SLOW_CLIENTS + 200:
        pytest.skip(f"NOT TESTED: the test process may open only {hard} files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def address_of(server: LiveServer) -> tuple[str, int]:
    host, port = server.base.removeprefix("http://").split(":")
    return host, int(port)


def half_request(server: LiveServer, source: str, stack: ExitStack) -> socket.socket:
    """A connection from `source` (any 127.x.y.z reaches the loopback) that sends part of
    its headers and then nothing."""
    connection = stack.enter_context(socket.socket())
    connection.bind((source, 0))
    connection.settimeout(SLACK_SECONDS)
    connection.connect(address_of(server))
    connection.sendall(HALF_THE_HEADERS)
    return connection


def whole_response(connection: socket.socket) -> bytes:
    """One answer read to the end of its body: its head and body may come in two writes."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(1000)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(1000)
    return head


def is_closed(connection: socket.socket) -> bool:
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@contextmanager
def serving(tmp_path: Path, **extra: str) -> Iterator[LiveServer]:
    server = launch(
        f"sqlite://{tmp_path}/db.sqlite3", tmp_path, descriptor_limit=SERVER_DESCRIPTORS, **extra
    )
    server.wait_ready()
    try:
        yield server
    finally:
        server.stop()


def test_more_half_sent_requests_than_descriptors_leave_healthz_answering(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, HEADER_TIMEOUT_SECONDS="60") as server, ExitStack() as stack:
        slow = [
            half_request(server, f"127.0.{1 + n // 100}.{2 + n % 100}", stack)
            for n in range(SLOW_CLIENTS)
        ]

        answers = [httpx.get(f"{server.base}/healthz", timeout=SLACK_SECONDS) for _ in range(3)]
        graphql = httpx.post(
            f"{server.base}/graphql", json={"query": "{ __typename }"}, timeout=SLACK_SECONDS
        )

        assert [answer.status_code for answer in answers] == [200, 200, 200]
        assert graphql.json() == {"data": {"__typename": "Query"}}
        # The oldest half-sent requests made room: the first one is gone.
        assert is_closed(slow[0])
    assert "closed the connections waiting longest for their headers" in server.output
    assert "Traceback" not in server.output


def test_a_connection_that_does_not_finish_its_headers_is_closed_after_the_timeout(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, HEADER_TIMEOUT_SECONDS="1") as server, ExitStack() as stack:
        slow = [half_request(server, "127.0.0.2", stack) for _ in range(50)]
        idle = stack.enter_context(socket.create_connection(address_of(server)))
        idle.settimeout(SLACK_SECONDS)
        time.sleep(0.5)
        # Headers that trickle in, but complete in time, are served.
        prompt = stack.enter_context(socket.create_connection(address_of(server)))
        prompt.sendall(b"GET /healthz HTTP/1.1\r\n")
        prompt.sendall(b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
        prompt.settimeout(SLACK_SECONDS)

        assert prompt.recv(100).startswith(b"HTTP/1.1 200")
        assert all(is_closed(connection) for connection in slow)
        assert is_closed(idle)
    assert "HEADER_TIMEOUT_SECONDS=1" in server.output


def test_the_next_request_on_a_kept_alive_connection_has_its_headers_timed_too(
    tmp_path: Path,
) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with serving(tmp_path, HEADER_TIMEOUT_SECONDS="1") as server, ExitStack() as stack:
        prompt = stack.enter_context(socket.create_connection(address_of(server)))
        slow = stack.enter_context(socket.create_connection(address_of(server)))
        for connection in (prompt, slow):
            connection.settimeout(SLACK_SECONDS)
            connection.sendall(request)
            assert whole_response(connection).startswith(b"HTTP/1.1 200")

        time.sleep(1.5)  # longer than the timeout: an idle connection between requests...
        prompt.sendall(request)
        slow.sendall(HALF_THE_HEADERS)

        assert whole_response(prompt).startswith(b"HTTP/1.1 200")  # ...timed from its next one
        assert is_closed(slow)
    assert "HEADER_TIMEOUT_SECONDS=1" in server.output


def test_one_address_may_not_hold_more_than_its_connections(tmp_path: Path) -> None:
    with (
        serving(tmp_path, MAX_CONNECTIONS_PER_ADDRESS="5", HEADER_TIMEOUT_SECONDS="60") as server,
        ExitStack() as stack,
    ):
        held = [half_request(server, "127.0.0.9", stack) for _ in range(5)]
        refused = [half_request(server, "127.0.0.9", stack) for _ in range(20)]
        other = httpx.get(f"{server.base}/healthz", timeout=SLACK_SECONDS)

        assert all(is_closed(connection) for connection in refused)
        assert other.status_code == 200
        for connection in held:
            connection.settimeout(0.2)
            assert not is_closed(connection)
    # One line for twenty refusals: the log is rate-limited.
    assert server.output.count("refused connections from 127.0.0.9") == 1
    assert "MAX_CONNECTIONS_PER_ADDRESS=5" in server.output


def test_a_client_that_checks_the_port_and_then_opens_all_its_connections_is_not_refused(
    tmp_path: Path,
) -> None:
    """What wrk does: one connection opened and closed to check the port, then as many as the
    cap allows at once; run after run, each closing all of its connections first."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with serving(tmp_path, MAX_CONNECTIONS_PER_ADDRESS="20") as server:
        for _ in range(5):
            socket.create_connection(address_of(server)).close()
            with ExitStack() as stack:
                run = [
                    stack.enter_context(socket.create_connection(address_of(server)))
                    for _ in range(20)
                ]
                for connection in run:
                    connection.settimeout(SLACK_SECONDS)
                    connection.sendall(request)

                assert [whole_response(connection)[:12] for connection in run] == [
                    b"HTTP/1.1 200"
                ] * 20
    assert "refused connections" not in server.output
