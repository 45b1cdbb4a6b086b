"""A verification process keeps the keys it found for half a second (auth.key_cache); a
change made elsewhere reaches it within a second: from another process through PostgreSQL's
notifications, and from the CLI, which tells nobody, by the cache's age alone.

A verifier asks again and again while the change is made, so that the process always holds
a fresh entry of the key: the answer turns only when that entry is dropped or too old."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import (
    LiveServer,
    call,
    environment,
    free_port,
    launch,
    session,
)

CREATE = """mutation($name: String!, $scopes: [Scope!]!) {
  createApiKey(input: {name: $name, scopes: $scopes}) { secret apiKey { id } }
}"""
REVOKE = "mutation($id: ID!) { revokeKey(id: $id) { id } }"
DISABLE = "mutation($id: ID!) { disableKey(id: $id) { id } }"
REVOKED_AT = "query($id: ID!) { apiKey(id: $id) { revokedAt } }"
# The bound for a per-process cache: a change reaches every process within it.
BOUND_SECONDS = 1.0


@dataclass
class Answer:
    asked_at: float  # time.time() as the request left
    answered_at: float
    code: str


@dataclass
class Verifier:
    """Verifications of one key on one server, one after another, in a thread."""

    server: LiveServer
    root: str
    secret: str
    answers: list[Answer] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stopping.is_set():
                asked_at = time.time()
                response = client.post(
                    f"{self.server.base}/v1/keys/verify",
                    json={"key": self.secret},
                    headers={"Authorization": f"Bearer {self.root}"},
                )
                assert response.status_code == 200, response.text
                self.answers.append(Answer(asked_at, time.time(), response.json()["code"]))
                time.sleep(0.005)

    def first_answered(self, code: str) -> float:
        return next(answer.answered_at for answer in self.answers if answer.code == code)

    def last_asked(self, code: str) -> float:
        return max(answer.asked_at for answer in self.answers if answer.code == code)


@contextmanager
def verifying(server: LiveServer, root: str, secret: str) -> Iterator[Verifier]:
    verifier = Verifier(server, root, secret)
    thread = threading.Thread(target=verifier.run)
    thread.start()
    try:
        _wait_for(lambda: any(a.code == "VALID" for a in verifier.answers))
        yield verifier
    finally:
        verifier.stopping.set()
        thread.join(timeout=30)


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def _create(server: LiveServer, token: str, name: str, scopes: list[str]) -> tuple[str, str]:
    body = call(server, CREATE, {"name": name, "scopes": scopes}, Authorization=f"Bearer {token}")
    created = body["data"]["createApiKey"]
    return created["secret"], created["apiKey"]["id"]


@pytest.mark.parametrize(
    ("mutation", "code"), [(REVOKE, "REVOKED"), (DISABLE, "DISABLED")], ids=["revoke", "disable"]
)
def test_a_change_on_one_process_reaches_the_others_cache_within_a_second(
    two_processes: tuple[LiveServer, LiveServer], mutation: str, code: str
) -> None:
    first, second = two_processes
    token = session(first)
    root, _ = _create(first, token, "root", ["VERIFY"])
    secret, key_id = _create(first, token, "target", ["READ"])

    with verifying(second, root, secret) as verifier:
        call(first, mutation, {"id": key_id}, Authorization=f"Bearer {token}")
        changed_at = time.time()
        _wait_for(lambda: any(a.code == code for a in verifier.answers), BOUND_SECONDS * 3)

    seconds = verifier.first_answered(code) - changed_at
    print(f"{code} on the other process after {seconds * 1000:.1f} ms")
    assert seconds < BOUND_SECONDS
    # Once the change was seen, never the old answer again.
    assert verifier.last_asked("VALID") < verifier.first_answered(code)


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = launch(f"sqlite://{tmp_path}/gatehouse.sqlite3", tmp_path)
    try:
        server.wait_ready()
        yield server
    finally:
        assert server.stop() == 0, server.output


def test_a_revocation_by_the_cli_reaches_a_live_server_within_a_second(
    sqlite_server: LiveServer, tmp_path: Path
) -> None:
    token = session(sqlite_server)
    root, _ = _create(sqlite_server, token, "root", ["VERIFY"])
    secret, key_id = _create(sqlite_server, token, "target", ["READ"])
    database = f"sqlite://{tmp_path}/gatehouse.sqlite3"

    with verifying(sqlite_server, root, secret) as verifier:
        revoked = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "gatehouse", "keys", "revoke", "--id", key_id],
            cwd=tmp_path,
            env=environment(database, free_port()),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        _wait_for(lambda: any(a.code == "REVOKED" for a in verifier.answers), BOUND_SECONDS * 3)

    assert revoked.returncode == 0, revoked.stderr
    shown = call(sqlite_server, REVOKED_AT, {"id": key_id}, Authorization=f"Bearer {token}")
    revoked_at = datetime.fromisoformat(shown["data"]["apiKey"]["revokedAt"]).timestamp()
    # The CLI publishes nothing: the server answered VALID from its cache for at most its
    # age, counted from the revocation's commit (just after `revokedAt`).
    stale_for = verifier.last_asked("VALID") - revoked_at
    print(f"VALID asked up to {stale_for * 1000:.1f} ms after the CLI revoked")
    assert stale_for < BOUND_SECONDS
    assert verifier.first_answered("REVOKED") - revoked_at < BOUND_SECONDS
