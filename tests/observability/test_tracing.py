"""OpenTelemetry traces of requests (HTTP, GraphQL and database spans), read back from the SDK's
in-memory exporter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from tortoise.connection import get_connection
from tortoise.exceptions import OperationalError

from core.config import ConfigError, Settings
from gatehouse.app import create_app
from gatehouse.database_timing import trace_statements
from gatehouse.tracing import tracer_provider_from
from schema.observability import redact_literals
from tests.support.database import SETTINGS
from tests.support.factories import PASSWORD, make_user
from tests.support.graphql import graphql

SIGN_IN = 'mutation SignIn { login(email: "%s", password: "%s") { token user { email } } }'
SIGN_IN_WITH_VARIABLES = """
mutation SignInAgain($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}
"""


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def traced(db: None, exporter: InMemorySpanExporter) -> AsyncIterator[httpx.AsyncClient]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(SETTINGS, manage_database=False, tracer_provider=provider)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    provider.shutdown()


def _everything_recorded(spans: tuple[ReadableSpan, ...]) -> str:
    return "\n".join(f"{span.name} {dict(span.attributes or {})}" for span in spans)


async def test_an_operation_is_traced_under_its_name(
    traced: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    user = await make_user()

    body = await graphql(traced, SIGN_IN % (user.email, PASSWORD))

    assert "errors" not in body
    spans = exporter.get_finished_spans()
    names = {span.name for span in spans}
    assert "GraphQL Query: SignIn" in names
    assert {"GraphQL Parsing", "GraphQL Validation", "GraphQL Resolving: login"} <= names
    [operation] = [span for span in spans if span.name == "GraphQL Query: SignIn"]
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.type"] == "mutation"
    assert operation.attributes["graphql.operation.name"] == "SignIn"
    resolving = next(span for span in spans if span.name == "GraphQL Resolving: login")
    assert resolving.parent is not None
    assert resolving.parent.span_id == operation.context.span_id


async def test_no_password_or_token_reaches_a_span(
    traced: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    user = await make_user()

    inline = await graphql(traced, SIGN_IN % (user.email, PASSWORD))
    variables = await graphql(
        traced, SIGN_IN_WITH_VARIABLES, {"email": user.email, "password": PASSWORD}
    )

    recorded = _everything_recorded(exporter.get_finished_spans())
    assert "GraphQL Query: SignInAgain" in recorded
    assert PASSWORD not in recorded
    assert inline["data"]["login"]["token"] not in recorded
    assert variables["data"]["login"]["token"] not in recorded


def test_string_literals_are_blanked_in_the_recorded_document() -> None:
    document = 'mutation { login(email: "a@b.c", password: "p\\"w") { token } } # """x"""'

    redacted = redact_literals(document)

    assert "a@b.c" not in redacted
    assert "p\\" not in redacted
    assert redacted.startswith('mutation { login(email: "…", password: "…") { token } }')


def test_tracing_is_off_without_an_endpoint() -> None:
    assert tracer_provider_from(SETTINGS) is None


def test_an_endpoint_turns_tracing_on() -> None:
    settings = replace(SETTINGS, otel_exporter_otlp_endpoint="http://127.0.0.1:4318")

    provider = tracer_provider_from(settings)

    assert isinstance(provider, TracerProvider)
    provider.shutdown()


def test_an_endpoint_that_is_not_a_url_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        Settings.load(environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, env_file=None)


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"


async def test_a_request_continues_the_callers_traceparent_with_http_and_database_spans(
    traced: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    user = await make_user()

    response = await traced.post(
        "/graphql",
        json={"query": SIGN_IN % (user.email, PASSWORD)},
        headers={"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"},
    )

    assert response.status_code == 200
    assert "errors" not in response.json()
    spans = exporter.get_finished_spans()
    # One trace, the caller's.
    assert {format(span.context.trace_id, "032x") for span in spans} == {TRACE_ID}
    [server] = [span for span in spans if span.name == "POST /graphql"]
    assert server.kind is SpanKind.SERVER
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == CALLER_SPAN_ID
    assert server.parent.is_remote
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["http.route"] == "/graphql"
    assert server.attributes["gatehouse.request_id"] == response.headers["x-request-id"]
    [operation] = [span for span in spans if span.name == "GraphQL Query: SignIn"]
    assert operation.parent is not None
    assert operation.parent.span_id == server.context.span_id
    statements = [span for span in spans if span.kind is SpanKind.CLIENT]
    # Each statement inside the resolver that ran it: the user is read, the session written.
    assert {"SELECT", "BEGIN", "INSERT", "COMMIT"} <= {span.name for span in statements}
    by_id = {span.context.span_id: span for span in spans}
    for span in statements:
        assert span.parent is not None
        assert by_id[span.parent.span_id].name == "GraphQL Resolving: login"
        assert span.attributes is not None
        assert span.attributes["db.system.name"] in {"sqlite", "postgresql"}
    assert any("users" in str((span.attributes or {}).get("db.query.text")) for span in statements)
    # The statements carry no value: neither the email nor the password.
    recorded = _everything_recorded(spans)
    assert user.email not in recorded
    assert PASSWORD not in recorded


async def test_a_request_without_traceparent_starts_its_own_trace(
    traced: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    first = await traced.get("/healthz")
    second = await traced.get("/healthz")

    assert first.status_code == second.status_code == 200
    servers = [span for span in exporter.get_finished_spans() if span.kind is SpanKind.SERVER]
    assert [span.name for span in servers] == ["GET /healthz", "GET /healthz"]
    assert all(span.parent is None for span in servers)
    assert servers[0].context.trace_id != servers[1].context.trace_id


async def test_a_malformed_traceparent_is_ignored_not_an_error(
    traced: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    response = await traced.get("/healthz", headers={"traceparent": "00-zz-not-a-trace"})

    assert response.status_code == 200
    [server] = exporter.get_finished_spans()
    assert server.parent is None


async def test_untraced_requests_record_no_database_spans(
    client: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    # A traced app made earlier in this process leaves statements of untraced apps alone.
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    create_app(SETTINGS, manage_database=False, tracer_provider=provider)
    user = await make_user()

    body = await graphql(client, SIGN_IN % (user.email, PASSWORD))

    assert "errors" not in body
    assert exporter.get_finished_spans() == ()
    provider.shutdown()


async def test_a_failed_statement_is_an_error_span_naming_only_the_error_type(
    db: None, exporter: InMemorySpanExporter
) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace_statements(provider)

    with (
        provider.get_tracer("test").start_as_current_span("a traced request"),
        pytest.raises(OperationalError),
    ):
        await get_connection("default").execute_query(
            "SELECT 'someone@example.com' FROM no_such_table"
        )

    [statement] = [span for span in exporter.get_finished_spans() if span.kind is SpanKind.CLIENT]
    assert statement.name == "SELECT"
    assert statement.status.status_code is StatusCode.ERROR
    assert statement.attributes is not None
    assert statement.attributes["error.type"]
    assert statement.attributes["db.query.text"] == "SELECT '?' FROM no_such_table"
    assert not statement.events
    assert "someone@example.com" not in _everything_recorded(exporter.get_finished_spans())
    provider.shutdown()
