"""The portal's pages through the ASGI app: `/` leads there, its page and files are served
under a strict CSP (scripts and styles from files of this origin only), nothing outside the
build is reachable, PORTAL_ENABLED=false removes it, a missing build says what to run; and
its trusted-documents manifest holds valid documents that run on a TRUSTED_DOCUMENTS server.
The portal in a browser: tests/browser/test_portal.py."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from graphql import parse, validate

import gatehouse.portal
from core.config import ConfigError, Settings
from core.trusted_documents import load_manifest
from gatehouse.app import create_app
from gatehouse.portal import CONTENT_SECURITY_POLICY, PORTAL_DIR
from gatehouse.portal_files import MANIFEST, PAGE
from models import User
from schema import build_schema
from tests.support.database import SETTINGS
from tests.support.factories import PASSWORD
from tests.support.paths import ROOT

OPERATIONS = ROOT / "portal" / "operations"
ASSET_URL = re.compile(r'(?:src|href)="(/portal/[^"]+)"')
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}


def _require_build() -> None:
    if not (PORTAL_DIR / PAGE).is_file():
        pytest.fail("PORTAL NOT BUILT: run `make install` (npm ci and npm run build in portal/)")


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def bare() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(SETTINGS):
        yield client


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(replace(SETTINGS, environment="production")):
        yield client


async def test_the_root_redirects_to_the_portal(bare: httpx.AsyncClient) -> None:
    for path in ("/", "/portal"):
        response = await bare.get(path)
        assert response.status_code == 307
        assert response.headers["location"] == "/portal/"


async def test_the_page_has_a_strict_policy_and_no_inline_code(bare: httpx.AsyncClient) -> None:
    _require_build()
    response = await bare.get("/portal/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(directive.split(" ", 1) for directive in policy.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    # Every script is a file of this origin; no inline script or style, nothing elsewhere.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) == []
    assert "<style" not in response.text
    assert " style=" not in response.text
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', response.text))


async def test_every_file_the_page_names_is_served_with_its_type(bare: httpx.AsyncClient) -> None:
    _require_build()
    page = (await bare.get("/portal/")).text
    assets = ASSET_URL.findall(page)
    assert any(url.endswith(".js") for url in assets)
    assert any(url.endswith(".css") for url in assets)
    for url in assets:
        response = await bare.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(CONTENT_TYPES[Path(url).suffix])
        assert "immutable" in response.headers["cache-control"]


@pytest.mark.parametrize(
    "path",
    [
        "/portal/missing.js",
        "/portal/assets/missing.js",
        "/portal/assets/",
        "/portal/.built",
        "/portal/..%2F..%2Fpyproject.toml",
        "/portal/%2e%2e/%2e%2e/pyproject.toml",
        "/portal/../../pyproject.toml",
    ],
)
async def test_nothing_outside_the_build_is_served(bare: httpx.AsyncClient, path: str) -> None:
    response = await bare.get(path)
    assert response.status_code == 404
    assert "[build-system]" not in response.text


async def test_the_portal_is_on_in_production(production: httpx.AsyncClient) -> None:
    _require_build()
    assert (await production.get("/")).headers["location"] == "/portal/"
    response = await production.get("/portal/")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_portal_enabled_false_removes_it() -> None:
    settings = replace(SETTINGS, portal_enabled=False)
    async for client in _client(settings):
        for path in ("/", "/portal", "/portal/", "/portal/index.html"):
            assert (await client.get(path)).status_code == 404, path


async def test_a_missing_build_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gatehouse.portal, "PORTAL_DIR", tmp_path / "dist")
    async for client in _client(SETTINGS):
        response = await client.get("/portal/")
        assert response.status_code == 503
        assert "make install" in response.text
        assert "Traceback" not in response.text
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert (await client.get("/portal/assets/index.js")).status_code == 404


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("false", False), ("0", False), ("no", False), ("TRUE", True), ("on", True), ("", True)],
)
def test_portal_enabled_is_read_as_a_flag(raw: str, expected: bool) -> None:
    settings = Settings.load({"PORTAL_ENABLED": raw}, env_file=None)
    assert settings.portal_enabled is expected


def test_a_bad_portal_enabled_stops_the_start_naming_it() -> None:
    with pytest.raises(ConfigError, match="PORTAL_ENABLED"):
        Settings.load({"PORTAL_ENABLED": "maybe"}, env_file=None)


def _manifest() -> dict[str, str]:
    _require_build()
    return load_manifest(PORTAL_DIR / MANIFEST)


def test_the_manifest_holds_every_portal_operation_valid_against_the_schema() -> None:
    documents = _manifest()
    sources = {
        path.read_text(encoding="utf-8").strip() + "\n" for path in OPERATIONS.glob("*.graphql")
    }
    assert set(documents.values()) == sources
    schema = build_schema()._schema
    for document_id, text in documents.items():
        assert document_id == hashlib.sha256(text.encode()).hexdigest()
        assert validate(schema, parse(text)) == [], text


async def test_the_portal_signs_in_by_id_on_a_trusted_documents_server(
    db: None, super_admin: User
) -> None:
    documents = {text.split("(")[0].split()[1]: key for key, text in _manifest().items()}
    settings = replace(SETTINGS, trusted_documents=PORTAL_DIR / MANIFEST, environment="production")
    async for client in _client(settings):
        signed_in = await client.post(
            "/graphql",
            json={
                "documentId": documents["SignIn"],
                "variables": {"email": super_admin.email, "password": PASSWORD},
            },
        )
        token = signed_in.json()["data"]["login"]["token"]
        me = await client.post(
            "/graphql",
            json={"documentId": documents["Me"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert me.json()["data"]["me"]["email"] == super_admin.email
        free_text = await client.post("/graphql", json={"query": "query Me { me { id } }"})
        assert free_text.status_code == 400
        assert json.loads(free_text.text)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
