"""Passkey ceremonies across two server processes on one PostgreSQL database: a challenge
begun on one is finished on the other, and one assertion sent to both at once signs in
once. Neither process's output holds a challenge or a signature."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.authenticator import SoftwareAuthenticator
from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, LiveServer, call, two_servers

ORIGIN = "http://localhost:8000"  # both processes serve the one portal origin
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
FINISH = """
mutation($credential: JSON!) {
  finishPasskeyRegistration(name: "Key", credential: $credential) { id }
}
"""
PASSKEY_LOGIN = "mutation($c: JSON!) { passkeyLogin(credential: $c) { token } }"


@pytest.fixture
def two_hosts(postgres_database: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    with two_servers(postgres_database, tmp_path, WEBAUTHN_ORIGINS=ORIGIN) as servers:
        yield servers


def test_a_ceremony_spans_processes_and_an_assertion_counts_once(
    two_hosts: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_hosts
    token = call(first, LOGIN, {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD})["data"]["login"]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    options = call(first, "mutation { beginPasskeyRegistration }", None, **auth)["data"]
    credential = authenticator.make_credential(options["beginPasskeyRegistration"])
    finished = call(second, FINISH, {"credential": credential}, **auth)
    assert "errors" not in finished, finished

    login_options = call(second, "mutation { beginPasskeyLogin }")["data"]["beginPasskeyLogin"]
    assertion = authenticator.get_assertion(login_options)

    async def both() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"{server.base}/graphql",
                        json={"query": PASSKEY_LOGIN, "variables": {"c": assertion}},
                    )
                    for server in (first, second)
                )
            )
        return [answer.json() for answer in answers]

    answers = asyncio.run(both())
    accepted = [answer for answer in answers if "errors" not in answer]
    assert len(accepted) == 1, answers
    (refused,) = [answer for answer in answers if "errors" in answer]
    assert refused["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "reason": "PASSKEY_REFUSED",
    }

    for server in (first, second):
        server.stop()
        for value in (
            options["beginPasskeyRegistration"]["challenge"],
            login_options["challenge"],
            assertion["response"]["signature"],
        ):
            assert value not in server.output
