"""Trusted documents: with TRUSTED_DOCUMENTS set, only the manifest's documents run,
requested by id; free text and unknown ids are refused with HTTP 400 and BAD_USER_INPUT."""

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx import AsyncClient

from core.config import ConfigError, Settings
from gatehouse.app import create_app
from models import User
from tests.support.database import SETTINGS
from tests.support.documents import ME_EMAIL_NAMED
from tests.support.factories import PASSWORD
from tests.support.graphql import error_codes

LOGIN = "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }"  # noqa: E501


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def codegen_manifest(tmp_path: Path) -> Path:
    """The shape of GraphQL Code Generator's `persisted-documents.json` (and Relay's)."""
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({sha256(LOGIN): LOGIN, sha256(ME_EMAIL_NAMED): ME_EMAIL_NAMED}))
    return path


def apollo_manifest(tmp_path: Path) -> Path:
    path = tmp_path / "persisted-query-manifest.json"
    operations = [
        {"id": sha256(text), "name": name, "type": kind, "body": text}
        for text, name, kind in ((LOGIN, "Login", "mutation"), (ME_EMAIL_NAMED, "Me", "query"))
    ]
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        )
    )
    return path


@pytest.fixture(params=[codegen_manifest, apollo_manifest], ids=["codegen", "apollo"])
async def trusted(
    request: pytest.FixtureRequest, db: None, tmp_path: Path
) -> AsyncIterator[AsyncClient]:
    settings = replace(SETTINGS, trusted_documents=request.param(tmp_path))
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def sign_in(client: AsyncClient, user: User, **request: Any) -> httpx.Response:
    variables = {"email": user.email, "password": PASSWORD}
    return await client.post("/graphql", json={"variables": variables, **request})


@pytest.mark.parametrize(
    "request_by_id",
    [
        pytest.param({"documentId": sha256(LOGIN)}, id="documentId"),
        pytest.param({"documentId": "sha256:" + sha256(LOGIN)}, id="documentId-prefixed"),
        pytest.param({"documentId": sha256(LOGIN).upper()}, id="documentId-upper-case"),
        pytest.param(
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(LOGIN)}}},
            id="persistedQuery",
        ),
    ],
)
async def test_a_listed_document_runs_by_its_id(
    trusted: AsyncClient, super_admin: User, request_by_id: dict[str, Any]
) -> None:
    response = await sign_in(trusted, super_admin, **request_by_id)

    assert response.status_code == 200, response.text
    token = response.json()["data"]["login"]["token"]
    me = await trusted.post(
        "/graphql",
        json={"documentId": sha256(ME_EMAIL_NAMED)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert me.json() == {"data": {"me": {"email": super_admin.email}}}


@pytest.mark.parametrize(
    "request_body",
    [
        pytest.param({"query": LOGIN}, id="listed-text"),
        pytest.param({"query": "{ __typename }"}, id="other-text"),
        pytest.param({"query": LOGIN, "documentId": sha256(LOGIN)}, id="text-and-id"),
        pytest.param({}, id="nothing"),
        pytest.param({"documentId": 42}, id="id-not-a-string"),
    ],
)
async def test_free_text_is_refused(
    trusted: AsyncClient, super_admin: User, request_body: dict[str, Any]
) -> None:
    response = await sign_in(trusted, super_admin, **request_body)

    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    assert "trusted documents only" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "request_body",
    [
        pytest.param({"documentId": sha256("{ __typename }")}, id="documentId"),
        pytest.param(
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
            id="persistedQuery",
        ),
    ],
)
async def test_an_unknown_id_is_refused(
    trusted: AsyncClient, super_admin: User, request_body: dict[str, Any]
) -> None:
    response = await sign_in(trusted, super_admin, **request_body)

    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    assert response.json()["errors"][0]["message"].startswith("Unknown document")


async def test_without_a_manifest_free_text_runs(client: AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})

    assert response.json() == {"data": {"__typename": "Query"}}


def test_the_setting_reads_the_manifest(tmp_path: Path) -> None:
    path = codegen_manifest(tmp_path)

    settings = Settings.load(environ={"TRUSTED_DOCUMENTS": str(path)}, env_file=None)

    assert settings.trusted_documents == path


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(None, id="missing-file"),
        pytest.param("not json", id="not-json"),
        pytest.param("[]", id="a-list"),
        pytest.param("{}", id="empty"),
        pytest.param('{"abc": 1}', id="document-not-text"),
        pytest.param('{"abc": " "}', id="document-blank"),
        pytest.param(
            '{"format": "apollo-persisted-query-manifest", "operations": {}}', id="apollo-bad"
        ),
        pytest.param(
            '{"format": "apollo-persisted-query-manifest", "operations": [{"id": 1}]}',
            id="apollo-no-body",
        ),
    ],
)
def test_a_bad_manifest_stops_the_start_naming_the_variable(
    tmp_path: Path, content: str | None
) -> None:
    path = tmp_path / "manifest.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(ConfigError, match=r"^TRUSTED_DOCUMENTS: "):
        Settings.load(environ={"TRUSTED_DOCUMENTS": str(path)}, env_file=None)


def test_a_manifest_gone_bad_after_loading_stops_the_app(tmp_path: Path) -> None:
    path = codegen_manifest(tmp_path)
    settings = replace(SETTINGS, trusted_documents=path)
    path.write_text("not json")

    with pytest.raises(ConfigError, match=r"^TRUSTED_DOCUMENTS: "):
        create_app(settings, manage_database=False)
