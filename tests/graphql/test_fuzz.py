"""A bounded fuzzing run over the whole schema (hypothesis-graphql) against a live server
(`python -m gatehouse serve` on 127.0.0.1): valid operations and operations with one
violation each, as a super-admin session, as an API key and anonymously, in development
and in production. Every answer must
be below 500, carry a code on every error, never INTERNAL, never a traceback.

Not part of `make test`: run it with `make fuzz` (`FUZZ_EXAMPLES` examples per caller and
mode, default 60; `FUZZ_DATABASE_URL` to fuzz a PostgreSQL database instead of SQLite).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from schema import print_schema
from tests.support.live_server import answers_ready, start
from tests.support.paths import ROOT

pytestmark = pytest.mark.fuzz

ADMIN_EMAIL = "fuzz@example.com"
ADMIN_PASSWORD = "a long enough password to try things"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
CODES = {"UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "CONFLICT", "RATE_LIMITED"}
SCHEMA = print_schema()

_texts = st.text(max_size=30)
_names = st.from_regex(r"\A[a-zA-Z_][a-zA-Z0-9_]{0,12}\Z")
# JSON (WebAuthn's credentials): any JSON value written as a GraphQL literal.
_json: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        _texts.map(nodes.String),
        st.integers(min_value=-(2**31), max_value=2**31 - 1).map(nodes.Int),
        st.booleans().map(nodes.Boolean),
        st.just(nodes.Null),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(nodes.List),
        st.dictionaries(_names, inner, max_size=4).map(
            lambda fields: nodes.Object(
                [
                    graphql.ObjectFieldNode(name=graphql.NameNode(value=name), value=value)
                    for name, value in fields.items()
                ]
            )
        ),
    ),
    max_leaves=8,
)
SCALARS = {
    "DateTime": st.one_of(
        st.datetimes(
            min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
            max_value=datetime(2200, 1, 1),  # noqa: DTZ001
            timezones=st.just(UTC),
        ).map(datetime.isoformat),
        _texts,
    ).map(nodes.String),
    "Date": st.one_of(st.dates().map(str), _texts).map(nodes.String),
    "JSON": _json,
}
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class Server:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.token = ""
        self.key = ""

    def post(self, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post("/graphql", json={"query": query}, headers=headers or {})

    def sign_in(self) -> None:
        credentials = f'email: "{ADMIN_EMAIL}", password: "{ADMIN_PASSWORD}"'
        login = f"mutation {{ login({credentials}) {{ token }} }}"
        answer = self.post(login).json()
        assert answer.get("data"), f"the harness could not sign in again: {answer}"
        self.token = answer["data"]["login"]["token"]
        create_key = (
            'mutation { createApiKey(input: {name: "fuzz", scopes: [READ, WRITE, ADMIN]}) '
            "{ secret } }"
        )
        answer = self.post(create_key, {"Authorization": f"Bearer {self.token}"}).json()
        self.key = answer["data"]["createApiKey"]["secret"]

    def headers(self, caller: str) -> dict[str, str]:
        if caller == "session":
            return {"Authorization": f"Bearer {self.token}"}
        if caller == "api-key":
            return {"X-API-Key": self.key}
        return {}


@pytest.fixture(scope="module", params=["development", "production"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    directory: Path = tmp_path_factory.mktemp("fuzz")
    database_url = os.environ.get("FUZZ_DATABASE_URL", f"sqlite://{directory}/gatehouse.sqlite3")
    env = {
        "GATEHOUSE_ENV": request.param,
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        # Fuzzed sign-ins, second-factor codes and invitation tokens fail by the hundred;
        # throttling them would lock this harness out, and is tested elsewhere.
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000",
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
        "LOGIN_FAILURE_WINDOW_SECONDS": "1",
        "LOGIN_LOCK_SECONDS": "1",
    }
    log_path = directory / "server.log"
    with log_path.open("w") as log:
        process, base = start(database_url, ROOT, env, output=log)
    running = Server(base)
    try:
        if not answers_ready(base, process, seconds=30):
            pytest.fail(f"server did not start:\n{log_path.read_text()}")
        running.sign_in()
        yield running
    finally:
        running.http.close()
        process.terminate()
        process.wait(timeout=20)
    output = log_path.read_text()
    assert "Traceback" not in output, output[-5000:]
    assert ADMIN_PASSWORD not in output


def check(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or []:
        assert error.get("extensions", {}).get("code") in CODES, body
    return body


def run(server: Server, caller: str, query: str) -> None:
    body = check(server.post(query, server.headers(caller)))
    codes = {error["extensions"]["code"] for error in body.get("errors") or []}
    if caller != "anonymous" and "UNAUTHENTICATED" in codes:
        # The operation ended its own credential (logout, revoking its key): sign in again.
        server.sign_in()


@pytest.mark.parametrize("caller", ["session", "api-key", "anonymous"])
@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "one-violation"])
def test_no_operation_breaks_the_server(server: Server, caller: str, mode: Mode) -> None:
    @FUZZ_SETTINGS
    @given(query=from_schema(SCHEMA, custom_scalars=SCALARS, mode=mode))
    def fuzz(query: str) -> None:
        run(server, caller, query)

    fuzz()


def test_healthz_still_answers_after_fuzzing(server: Server) -> None:
    assert server.http.get("/healthz").status_code == 200
