"""Second factors across two real server processes on one PostgreSQL database: a code sent
to both at once is accepted once, a session verified through one is trusted by the other,
and neither server's output holds the secret or a code."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, LiveServer, call, two_servers

LOGIN = (
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token restriction } }"
)
VERIFY = "mutation($c: String!) { verifyMfa(totpCode: $c) { restriction } }"


@pytest.fixture
def two_hosts(postgres_database: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    with two_servers(postgres_database, tmp_path) as servers:
        yield servers


def _sign_in(server: LiveServer) -> dict[str, Any]:
    body = call(server, LOGIN, {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD})
    payload: dict[str, Any] = body["data"]["login"]
    return payload


def test_one_code_sent_to_two_processes_at_once_is_accepted_once(
    two_hosts: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_hosts
    token = _sign_in(first)["token"]
    auth = {"Authorization": f"Bearer {token}"}
    begun = call(first, "mutation { beginTotpEnrollment { secret } }", None, **auth)
    secret = begun["data"]["beginTotpEnrollment"]["secret"]
    totp = pyotp.TOTP(secret)
    confirmed = call(
        second,
        "mutation($c: String!) { confirmTotpEnrollment(code: $c) }",
        {"c": totp.now()},
        **auth,
    )
    recovery_codes = confirmed["data"]["confirmTotpEnrollment"]

    sessions = [_sign_in(server) for server in (first, second)]
    assert [s["restriction"] for s in sessions] == ["MFA_REQUIRED", "MFA_REQUIRED"]
    code = totp.at(datetime.now(UTC) + timedelta(seconds=30))

    async def both() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"{server.base}/graphql",
                        json={"query": VERIFY, "variables": {"c": code}},
                        headers={"Authorization": f"Bearer {s['token']}"},
                    )
                    for server, s in zip((first, second), sessions, strict=True)
                )
            )

    answers = [response.json() for response in asyncio.run(both())]
    accepted = [answer for answer in answers if "errors" not in answer]
    assert len(accepted) == 1, answers
    winner = answers.index(accepted[0])
    # Verified through one process, trusted by the other.
    other = (second, first)[winner]
    me = call(other, "{ me { email } }", None, Authorization=f"Bearer {sessions[winner]['token']}")
    assert me == {"data": {"me": {"email": ADMIN_EMAIL}}}

    for server in (first, second):
        server.stop()
        for value in (secret, code, *recovery_codes):
            assert value not in server.output
