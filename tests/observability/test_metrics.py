"""`GET /metrics`: only with METRICS_TOKEN, and counting what the requests did."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.datastructures import Secret

from core.config import ConfigError, Settings
from core.metrics import MAX_OPERATION_LABELS, MULTIPROCESS_DIR_VARIABLE
from gatehouse.app import create_app
from gatehouse.metrics_endpoint import prepare_multiprocess_metrics
from models import ApiKey, Role
from tests.support.database import SETTINGS
from tests.support.factories import make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

METRICS_TOKEN = "m" * 16 + "-scrape-token"
SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}
ME = "query Me { me { id } }"


@pytest.fixture
async def scraped(db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(SETTINGS, metrics_token=Secret(METRICS_TOKEN)), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def sample(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """A sample's value in a fresh scrape (0 while the series does not exist)."""
    response = await client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return found.value
    return 0.0


def test_a_short_metrics_token_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="METRICS_TOKEN") as refused:
        Settings.load(environ={"METRICS_TOKEN": "short"}, env_file=None)

    assert "short" not in str(refused.value).replace("METRICS_TOKEN", "")


async def test_without_a_metrics_token_there_is_no_metrics_endpoint(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics", headers=SCRAPE)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-of-some-length"},
        {"Authorization": METRICS_TOKEN},
        {"Authorization": f"Bearer {METRICS_TOKEN}x"},
    ],
)
async def test_a_scrape_without_the_token_is_refused(
    scraped: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await scraped.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]
    assert "gatehouse_" not in response.text


async def test_a_scrape_with_the_token_gets_prometheus_text(scraped: httpx.AsyncClient) -> None:
    response = await scraped.get("/metrics", headers=SCRAPE)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {
        "gatehouse_requests",
        "gatehouse_request_duration_seconds",
        "gatehouse_request_database_seconds",
        "gatehouse_authentication_failures",
        "gatehouse_api_key_calls",
        "gatehouse_password_hashes_in_progress",
        "gatehouse_database_pool_connections",
    } <= names


async def test_requests_are_counted_by_operation_and_outcome(scraped: httpx.AsyncClient) -> None:
    reader = await make_user(roles=(Role.READ_ONLY,))
    token = await login(scraped, reader)
    ok = {"route": "/graphql", "operation": "Me", "operation_type": "query", "outcome": "OK"}
    refused = {**ok, "operation": "Everyone", "outcome": "FORBIDDEN"}
    before_ok = await sample(scraped, "gatehouse_requests_total", **ok)
    before_refused = await sample(scraped, "gatehouse_requests_total", **refused)
    before_latency = await sample(
        scraped, "gatehouse_request_duration_seconds_count", route="/graphql", operation="Me"
    )

    for _ in range(3):
        await graphql(scraped, ME, token=token)
    body = await graphql(scraped, "query Everyone { users { totalCount } }", token=token)

    assert error_codes(body) == ["FORBIDDEN"]
    assert await sample(scraped, "gatehouse_requests_total", **ok) == before_ok + 3
    assert await sample(scraped, "gatehouse_requests_total", **refused) == before_refused + 1
    latency = await sample(
        scraped, "gatehouse_request_duration_seconds_count", route="/graphql", operation="Me"
    )
    assert latency == before_latency + 3


async def test_authentication_failures_are_counted_by_reason(
    scraped: httpx.AsyncClient,
) -> None:
    owner = await make_user()
    revoked, revoked_secret = await make_api_key(owner)
    await ApiKey.filter(id=revoked.id).update(revoked_at=revoked.created_at)
    cases = {
        "missing": {},
        "malformed": {"Authorization": "Token abc"},
        "unknown": {"Authorization": "Bearer gs_" + "B" * 43},
        "revoked": {"X-API-Key": revoked_secret},
    }
    before = {
        reason: await sample(scraped, "gatehouse_authentication_failures_total", reason=reason)
        for reason in cases
    }

    for headers in cases.values():
        answer = await scraped.post("/graphql", json={"query": ME}, headers=headers)
        assert error_codes(answer.json()) == ["UNAUTHENTICATED"]

    for reason in cases:
        counted = await sample(scraped, "gatehouse_authentication_failures_total", reason=reason)
        assert counted == before[reason] + 1, reason


async def test_a_login_anyone_may_try_is_not_a_missing_credential(
    scraped: httpx.AsyncClient,
) -> None:
    user = await make_user()
    before_missing = await sample(
        scraped, "gatehouse_authentication_failures_total", reason="missing"
    )
    before_login = await sample(scraped, "gatehouse_authentication_failures_total", reason="login")

    body = await graphql(
        scraped,
        "mutation($e: String!) { login(email: $e, password: $e) { token } }",
        {"e": user.email},
    )

    assert error_codes(body) == ["UNAUTHENTICATED"]
    failures = "gatehouse_authentication_failures_total"
    assert await sample(scraped, failures, reason="login") == before_login + 1
    assert await sample(scraped, failures, reason="missing") == before_missing


async def test_key_calls_are_counted(scraped: httpx.AsyncClient) -> None:
    owner = await make_user()
    _, secret = await make_api_key(owner)
    before = await sample(scraped, "gatehouse_api_key_calls_total")

    for _ in range(4):
        await scraped.post("/graphql", json={"query": ME}, headers={"X-API-Key": secret})

    assert await sample(scraped, "gatehouse_api_key_calls_total") == before + 4


async def test_database_time_is_observed_per_request(scraped: httpx.AsyncClient) -> None:
    user = await make_user()
    token = await login(scraped, user)
    before = await sample(scraped, "gatehouse_request_database_seconds_sum", route="/graphql")

    await graphql(scraped, ME, token=token)

    assert await sample(scraped, "gatehouse_request_database_seconds_sum", route="/graphql") > (
        before
    )


async def test_client_chosen_operation_names_cannot_grow_the_series_without_bound(
    scraped: httpx.AsyncClient,
) -> None:
    for number in range(MAX_OPERATION_LABELS + 20):
        await scraped.post("/graphql", json={"query": f"query Q{number} {{ __typename }}"})

    response = await scraped.get("/metrics", headers=SCRAPE)
    operations = {
        found.labels["operation"]
        for family in text_string_to_metric_families(response.text)
        if family.name == "gatehouse_requests"
        for found in family.samples
    }
    # The allowed names, plus "-" for requests without an operation, plus "other".
    assert len(operations) <= MAX_OPERATION_LABELS + 2
    assert "other" in operations


def test_several_workers_get_a_fresh_shared_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    # Set (empty) first, so that the variable the function exports is undone afterwards.
    monkeypatch.setenv(MULTIPROCESS_DIR_VARIABLE, "")

    directory = prepare_multiprocess_metrics(workers=2)

    assert directory is not None
    assert os.environ[MULTIPROCESS_DIR_VARIABLE] == str(directory)
    assert directory.is_dir()
    assert list(directory.iterdir()) == []
    shutil.rmtree(directory)


def test_one_worker_needs_no_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MULTIPROCESS_DIR_VARIABLE, "")

    assert prepare_multiprocess_metrics(workers=1) is None
    assert os.environ[MULTIPROCESS_DIR_VARIABLE] == ""


def test_an_operators_directory_is_emptied_of_earlier_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    earlier = tmp_path / "counter_1.db"
    earlier.write_bytes(b"old figures")
    own = tmp_path / f"counter_{os.getpid()}.db"
    own.write_bytes(b"this process")
    monkeypatch.setenv(MULTIPROCESS_DIR_VARIABLE, str(tmp_path))

    assert prepare_multiprocess_metrics(workers=2) == tmp_path

    assert not earlier.exists()
    assert own.exists()
