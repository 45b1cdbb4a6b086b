"""One log line per request through the real app: its request id, caller, operation,
outcome and timings, in both formats, and never a secret."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from httpx import ASGITransport, AsyncClient
from starlette.types import Message

from gatehouse.app import create_app
from gatehouse.logging_setup import JsonFormatter, TextFormatter
from gatehouse.request_log import request_id_from
from models import ApiKey, Role, Scope
from tests.support.database import SETTINGS
from tests.support.documents import ME_NAMED
from tests.support.factories import PASSWORD, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login
from tests.support.logging_capture import server_logging

CREATE_KEY = """
mutation CreateKey { createApiKey(input: {name: "export", scopes: [READ]}) { secret } }
"""
LOGIN_INLINE = 'mutation SignIn { login(email: "%s", password: "%s") { token } }'
FIELDS = {
    "request_id",
    "method",
    "path",
    "status",
    "operation_name",
    "operation_type",
    "principal_kind",
    "principal_id",
    "user_id",
    "outcome",
    "auth_failure",
    "duration_ms",
    "db_ms",
    "db_statements",
    "client",
    "pid",
}


def _request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "gatehouse.request"]


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {key: getattr(record, key) for key in FIELDS}


async def test_a_request_id_sent_by_the_client_is_echoed_and_logged(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "edge-42.a:b_c"}
    )

    assert response.headers["x-request-id"] == "edge-42.a:b_c"
    [line] = _request_records(caplog)
    assert line.request_id == "edge-42.a:b_c"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "sent", [None, "", "x" * 129, "has space", "line\nbreak", 'quote"d', "semi;colon"]
)
async def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(
    client: AsyncClient, caplog: pytest.LogCaptureFixture, sent: str | None
) -> None:
    caplog.set_level(logging.INFO)
    headers = {} if sent is None else {"X-Request-ID": sent}

    response = await client.get("/healthz", headers=headers)

    made = response.headers["x-request-id"]
    assert made != sent
    assert len(made) == 32
    assert int(made, 16) >= 0
    [line] = _request_records(caplog)
    assert line.request_id == made  # type: ignore[attr-defined]


async def test_every_request_gets_a_different_id(client: AsyncClient) -> None:
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(5)}

    assert len(ids) == 5


async def test_a_session_request_logs_one_line_with_every_field(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    user = await make_user(roles=(Role.ADMIN,))
    token = await login(client, user)
    caplog.clear()
    caplog.set_level(logging.INFO)

    await graphql(client, ME_NAMED, token=token)

    [line] = _request_records(caplog)
    fields = _fields(line)
    assert fields["method"] == "POST"
    assert fields["path"] == "/graphql"
    assert fields["status"] == 200
    assert fields["operation_name"] == "Me"
    assert fields["operation_type"] == "query"
    assert fields["principal_kind"] == "user"
    assert fields["principal_id"] == str(user.id)
    assert fields["outcome"] == "OK"
    assert fields["auth_failure"] is None
    assert isinstance(fields["duration_ms"], float)
    assert isinstance(fields["db_ms"], float)
    # The session look-up at least.
    assert isinstance(fields["db_statements"], int)
    assert fields["db_statements"] >= 1
    assert fields["db_ms"] > 0
    assert line.levelname == "INFO"


async def test_a_key_request_logs_the_key_and_its_owner(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await make_user()
    api_key, secret = await make_api_key(owner, scopes=(Scope.READ,))
    caplog.set_level(logging.INFO)

    response = await client.post(
        "/graphql", json={"query": ME_NAMED}, headers={"X-API-Key": secret}
    )

    assert "errors" not in response.json()
    [line] = _request_records(caplog)
    assert line.principal_kind == "api_key"  # type: ignore[attr-defined]
    assert line.principal_id == str(api_key.id)  # type: ignore[attr-defined]
    assert line.user_id == str(owner.id)  # type: ignore[attr-defined]


async def test_the_outcome_is_the_first_errors_code(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    reader = await make_user(roles=(Role.READ_ONLY,))
    token = await login(client, reader)
    caplog.clear()
    caplog.set_level(logging.INFO)

    body = await graphql(client, "query Everyone { users { totalCount } }", token=token)

    assert error_codes(body) == ["FORBIDDEN"]
    [line] = _request_records(caplog)
    assert line.outcome == "FORBIDDEN"  # type: ignore[attr-defined]
    assert line.operation_name == "Everyone"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "outcome", "status"),
    [
        (b"{not json", "BAD_USER_INPUT", 400),
        (b'{"query": "{ me { "}', "BAD_USER_INPUT", 200),
        (b'{"query": "{ me { id } }"}', "UNAUTHENTICATED", 200),
    ],
)
async def test_refusals_before_execution_are_logged_with_their_code(
    client: AsyncClient,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    outcome: str,
    status: int,
) -> None:
    caplog.set_level(logging.INFO)

    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == status
    [line] = _request_records(caplog)
    assert line.outcome == outcome  # type: ignore[attr-defined]
    assert line.status == status  # type: ignore[attr-defined]
    assert line.principal_kind == "anonymous"  # type: ignore[attr-defined]


async def test_an_operation_name_not_in_the_document_is_not_logged(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    await client.post(
        "/graphql", json={"query": "query A { __typename }", "operationName": "x\ny=1"}
    )

    [line] = _request_records(caplog)
    assert line.operation_name is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("credential", "reason"),
    [
        ({"Authorization": "Basic abc"}, "malformed"),
        ({"Authorization": "Bearer gs_" + "A" * 43}, "unknown"),
        ({"X-API-Key": "gk_" + "A" * 49}, "malformed"),
        ({}, "missing"),
    ],
)
async def test_a_refused_credential_is_logged_with_its_reason(
    client: AsyncClient,
    caplog: pytest.LogCaptureFixture,
    credential: dict[str, str],
    reason: str,
) -> None:
    caplog.set_level(logging.INFO)

    body = (await client.post("/graphql", json={"query": ME_NAMED}, headers=credential)).json()

    assert error_codes(body) == ["UNAUTHENTICATED"]
    [line] = _request_records(caplog)
    assert line.auth_failure == reason  # type: ignore[attr-defined]


async def test_expired_and_revoked_keys_are_told_apart(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await make_user()
    start = datetime.now(UTC)
    _, expiring = await make_api_key(owner, expires_at=start + timedelta(hours=1))
    revoked, revoked_secret = await make_api_key(owner)
    await ApiKey.filter(id=revoked.id).update(revoked_at=start)
    caplog.set_level(logging.INFO)

    with time_machine.travel(start + timedelta(hours=2)):
        await client.post("/graphql", json={"query": ME_NAMED}, headers={"X-API-Key": expiring})
    await client.post("/graphql", json={"query": ME_NAMED}, headers={"X-API-Key": revoked_secret})

    reasons = [line.auth_failure for line in _request_records(caplog)]  # type: ignore[attr-defined]
    assert reasons == ["expired", "revoked"]


async def test_the_request_line_reads_the_same_in_text_and_json(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "r1"})
    [line] = _request_records(caplog)

    document = json.loads(JsonFormatter().format(line))
    text = TextFormatter().format(line)

    assert FIELDS | {"time", "level", "logger", "message"} <= set(document)
    assert document["level"] == "INFO"
    assert document["logger"] == "gatehouse.request"
    assert document["request_id"] == "r1"
    assert document["time"].endswith("Z")
    datetime.fromisoformat(document["time"])
    assert "\n" not in text
    assert text.split(" ", 1)[0] == document["time"]
    for field in FIELDS:
        assert f" {field}=" in text


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_no_password_token_or_key_reaches_a_log_line(
    client: AsyncClient, log_format: str
) -> None:
    admin = await make_user(roles=(Role.SUPER_ADMIN,))

    # The most talkative configuration an operator can choose.
    with server_logging("DEBUG", log_format) as output:
        signed_in = await graphql(client, LOGIN_INLINE % (admin.email, PASSWORD))
        token = signed_in["data"]["login"]["token"]
        created = await graphql(client, CREATE_KEY, token=token)
        secret = created["data"]["createApiKey"]["secret"]
        await client.post("/graphql", json={"query": ME_NAMED}, headers={"X-API-Key": secret})
        await graphql(client, LOGIN_INLINE % (admin.email, "a wrong password!"))
        await client.post("/graphql", json={"query": ME_NAMED}, headers={"X-API-Key": secret + "x"})
        await graphql(client, "mutation Out { logout }", token=token)

    written = output.getvalue()
    stored = await ApiKey.get(name="export")
    assert written.count("gatehouse.request") == 6
    assert admin.password_hash is not None
    for secret_text in (
        PASSWORD,
        "a wrong password!",
        token,
        secret,
        stored.key_hash,
        admin.password_hash,
    ):
        assert secret_text not in written


async def test_a_client_that_leaves_mid_body_is_logged_as_gone(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(SETTINGS, manage_database=False)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    caplog.set_level(logging.INFO)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)

    assert sent == []
    [line] = _request_records(caplog)
    assert line.status is None  # type: ignore[attr-defined]
    assert line.outcome == "CLIENT_CLOSED"  # type: ignore[attr-defined]


async def test_a_browser_portal_may_read_the_request_id(db: None) -> None:
    portal = "https://portal.example.com"
    app = create_app(replace(SETTINGS, cors_origins=(portal,)), manage_database=False)
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": portal}
        )

    assert response.headers["access-control-allow-origin"] == portal
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    assert response.headers["x-request-id"]


def test_request_ids_made_here_are_32_hex_digits_and_distinct() -> None:
    ids = {request_id_from({"headers": []}) for _ in range(10_000)}

    assert len(ids) == 10_000
    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids)
