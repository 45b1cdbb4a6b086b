"""`GET /v1/usage.csv`: the GraphQL series as RFC 4180 CSV, streamed, formula cells
escaped, the same credentials and permission as `usageSeries`."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from httpx import AsyncClient

from auth.runtime import current
from gatehouse.app import create_app
from models import Role, Scope, User
from models.usage_rollups import DAY, HOUR, SeriesQuery, series_rows
from tests.support.database import SETTINGS
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient

NOW = datetime(2030, 3, 14, 15, 30, tzinfo=UTC)
ME = "query WhoAmI { me { id } }"
SERIES = """
query AllSeries($from: DateTime!, $to: DateTime!, $granularity: UsageGranularity!,
                $groupBy: [UsageDimension!]) {
  usageSeries(from: $from, to: $to, granularity: $granularity, groupBy: $groupBy) {
    start operation outcome calls
  }
}
"""


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def as_cells(buckets: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {key: "" if value is None else str(value) for key, value in bucket.items()}
        for bucket in buckets
    ]


async def test_the_csv_equals_the_graphql_series(gql: GraphQLClient, super_admin: User) -> None:
    api_key, secret = await make_api_key(super_admin)
    with time_machine.travel(NOW, tick=False) as traveller:
        token = await gql.login(super_admin)
        for _ in range(2):
            await gql.execute(ME, headers={"X-API-Key": secret})
        await gql.execute("{ me { id } }", headers={"X-API-Key": secret})
        traveller.shift(timedelta(hours=2))
        await gql.execute(ME, headers={"X-API-Key": secret})
        span = {"from": (NOW - timedelta(hours=3)).isoformat(), "to": NOW.isoformat()}
        for group_by in ([], ["OPERATION"], ["OPERATION", "OUTCOME"]):
            series = await gql.execute(
                SERIES,
                {
                    **span,
                    "to": (NOW + timedelta(hours=3)).isoformat(),
                    "granularity": "HOUR",
                    "groupBy": group_by,
                },
                token=token,
            )
            assert series.ok, series.body
            response = await gql.http.get(
                "/v1/usage.csv",
                params={
                    **span,
                    "to": (NOW + timedelta(hours=3)).isoformat(),
                    "granularity": "hour",
                    "groupBy": ",".join(group_by).lower(),
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/csv")
            assert response.headers["content-disposition"].startswith("attachment;")
            assert response.text.startswith("start,operation,outcome,calls\r\n")
            assert response.text.endswith("\r\n")
            assert parsed(response.text) == as_cells(series.data["usageSeries"])
        keyed = await gql.http.get(
            "/v1/usage.csv",
            params={**span, "granularity": "DAY", "keyId": gid(api_key), "groupBy": "outcome"},
            headers={"X-API-Key": secret},
        )
    # The export's own call by the key is counted too, before the rows are read.
    assert parsed(keyed.text) == [
        {"start": "2030-03-14T00:00:00+00:00", "operation": "", "outcome": "OK", "calls": "5"}
    ]


async def test_cells_a_spreadsheet_would_run_are_escaped(
    client: AsyncClient, super_admin: User
) -> None:
    api_key, secret = await make_api_key(super_admin)
    formulas = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2", "@SUM(A1)", "\tx"]
    for operation in formulas:
        # Operations recorded by verifications are free text, unlike GraphQL names.
        await current().calls.record(api_key.id, NOW, operation=operation)
    response = await client.get(
        "/v1/usage.csv",
        params={
            "from": "2030-03-14T00:00:00Z",
            "to": "2030-03-15T00:00:00Z",
            "granularity": "DAY",
            "groupBy": "operation",
        },
        headers={"X-API-Key": secret},
    )
    assert response.status_code == 200, response.text
    operations = {row["operation"] for row in parsed(response.text)}
    assert operations == {"'" + formula for formula in formulas}
    assert '"\'=HYPERLINK(""http://evil.example"",""x"")"' in response.text  # RFC 4180 quoting


async def test_a_year_of_hours_is_streamed_in_chunks(db: None, super_admin: User) -> None:
    """Through the ASGI interface itself (httpx's test transport gathers the body first):
    the body leaves in many messages, each marked as followed by more."""
    _, secret = await make_api_key(super_admin)
    app = create_app(SETTINGS, manage_database=False)
    query = urlencode(
        {"from": "2029-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z", "granularity": "HOUR"}
    )
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/usage.csv",
        "raw_path": b"/v1/usage.csv",
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"x-api-key", secret.encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    sent: list[MutableMapping[str, Any]] = []
    requested = False
    finished = asyncio.Event()

    async def receive() -> MutableMapping[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()  # the client stays until the whole body came
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    bodies = [message for message in sent if message["type"] == "http.response.body"]
    assert len(bodies) > 10
    assert all(message.get("more_body") for message in bodies[:-1])
    lines = b"".join(message.get("body", b"") for message in bodies).split(b"\r\n")
    assert len(lines) == 1 + 365 * 24 + 1  # the header, every hour, the final line break


async def test_rows_are_read_in_keyset_batches_whole_buckets_at_a_time(db: None) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    api_key, _ = await make_api_key(owner)
    for hour in range(7):
        for operation in ("A", "B"):
            await current().calls.record(
                api_key.id, NOW + timedelta(hours=hour), operation=operation
            )
    query = SeriesQuery(HOUR, NOW.replace(minute=0), NOW + timedelta(days=1), by_operation=True)
    rows = [row async for row in series_rows(query, batch_size=2)]
    assert [(row.start.hour, row.operation) for row in rows] == [
        (hour, operation) for hour in range(15, 22) for operation in ("A", "B")
    ]
    by_day = SeriesQuery(DAY, NOW.replace(hour=0, minute=0), NOW + timedelta(days=1))
    assert [row.calls async for row in series_rows(by_day, batch_size=1)] == [14]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"to": "2030-01-02T00:00:00Z", "granularity": "DAY"}, 400),
        ({"from": "yesterday", "to": "2030-01-02T00:00:00Z", "granularity": "DAY"}, 400),
        ({"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z", "granularity": "DAY"}, 400),
        (
            {"from": "2020-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z", "granularity": "HOUR"},
            400,
        ),
        (
            {"from": "2030-01-01T00:00:00Z", "to": "2030-01-02T00:00:00Z", "granularity": "WEEK"},
            400,
        ),
        (
            {
                "from": "2030-01-01T00:00:00Z",
                "to": "2030-01-02T00:00:00Z",
                "granularity": "DAY",
                "groupBy": "key",
            },
            400,
        ),
        (
            {
                "from": "2030-01-01T00:00:00Z",
                "to": "2030-01-02T00:00:00Z",
                "granularity": "DAY",
                "keyId": "QXBpS2V5Ojk5OTk5",
            },
            404,
        ),
        (
            {
                "from": "2030-01-01T00:00:00Z",
                "to": "2030-01-02T00:00:00Z",
                "granularity": "DAY",
                "keyId": "not-an-id",
            },
            404,
        ),
    ],
)
async def test_bad_parameters_are_clear_errors(
    client: AsyncClient, super_admin: User, params: dict[str, str], status: int
) -> None:
    _, secret = await make_api_key(super_admin)
    response = await client.get("/v1/usage.csv", params=params, headers={"X-API-Key": secret})
    assert response.status_code == status, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == ("BAD_USER_INPUT" if status == 400 else "NOT_FOUND")
    assert error["message"]


SPAN = {"from": "2030-01-01T00:00:00Z", "to": "2030-01-02T00:00:00Z", "granularity": "DAY"}


@pytest.mark.parametrize("role", [Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY])
async def test_every_role_may_export(client: AsyncClient, role: Role) -> None:
    user = await make_user(roles=(role,))
    token = await GraphQLClient(client).login(user)
    response = await client.get(
        "/v1/usage.csv", params=SPAN, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("scopes", "status"),
    [
        ((Scope.READ,), 200),
        ((Scope.WRITE,), 403),
        ((Scope.ADMIN,), 403),
        ((Scope.WRITE, Scope.ADMIN), 403),
    ],
)
async def test_a_key_needs_the_read_scope(
    client: AsyncClient, super_admin: User, scopes: tuple[Scope, ...], status: int
) -> None:
    _, secret = await make_api_key(super_admin, scopes=scopes)
    response = await client.get("/v1/usage.csv", params=SPAN, headers={"X-API-Key": secret})
    assert response.status_code == status
    if status == 403:
        assert response.json()["errors"][0]["extensions"]["requiredScope"] == "READ"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nonsense"}, {"X-API-Key": "gk_unknown"}]
)
async def test_without_a_valid_credential_it_is_unauthenticated(
    client: AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/v1/usage.csv", params=SPAN, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_export_is_described_in_the_openapi_document(client: AsyncClient) -> None:
    document = (await client.get("/v1/openapi.json")).json()
    operation = document["paths"]["/v1/usage.csv"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {
        "from",
        "to",
        "granularity",
        "groupBy",
        "keyId",
    }
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert operation["security"] == [{"credential": []}]
