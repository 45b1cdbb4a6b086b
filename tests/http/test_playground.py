"""GraphiQL's page and assets through the ASGI app: served by Gatehouse itself, under a CSP
that allows scripts from our own origin only, and absent in production."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from gatehouse.app import create_app
from gatehouse.playground import ASSETS, PLAYGROUND_DIR, Playground
from tests.support.database import SETTINGS

HTML = {"Accept": "text/html"}
ASSET_URL = re.compile(r'(?:src|href)="(/graphql/assets/[^"]+)"')
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}


async def _client(production: bool) -> AsyncIterator[httpx.AsyncClient]:
    settings = replace(SETTINGS, environment="production" if production else "development")
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def development() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(production=False):
        yield client


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(production=True):
        yield client


async def test_page_is_ours_under_a_strict_content_security_policy(
    development: httpx.AsyncClient,
) -> None:
    response = await development.get("/graphql", headers=HTML)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


async def test_page_loads_nothing_from_another_origin_and_has_no_inline_script(
    development: httpx.AsyncClient,
) -> None:
    html = (await development.get("/graphql", headers=HTML)).text

    assert "http:" not in html
    assert "https:" not in html
    assert "//" not in "".join(ASSET_URL.findall(html))
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts
    assert all('src="/graphql/assets/' in attributes for attributes, _ in scripts)
    assert all(body.strip() == "" for _, body in scripts)


async def test_every_asset_the_page_references_is_served_with_its_content_type(
    development: httpx.AsyncClient,
) -> None:
    html = (await development.get("/graphql", headers=HTML)).text
    urls = ASSET_URL.findall(html)
    assert len(urls) == len(ASSETS)

    for url in urls:
        response = await development.get(url)

        assert response.status_code == 200, url
        expected = CONTENT_TYPES[Path(url).suffix]
        assert response.headers["content-type"].startswith(expected), url
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["etag"]
        assert response.content


async def test_bootstrap_keeps_headers_and_queries_out_of_storage_and_the_url(
    development: httpx.AsyncClient,
) -> None:
    script = (await development.get("/graphql/assets/playground.js")).text

    assert "shouldPersistHeaders: false" in script
    assert "storage: memoryStorage()" in script
    assert "localStorage." not in script
    assert "sessionStorage" not in script
    assert "history." not in script


@pytest.mark.parametrize(
    "url",
    [
        "/graphql/assets/package.json",
        "/graphql/assets/node_modules",
        "/graphql/assets/..%2Fpackage.json",
        "/graphql/assets/%2E%2E/gatehouse/app.py",
        "/graphql/assets/",
    ],
)
async def test_only_the_listed_assets_are_served(development: httpx.AsyncClient, url: str) -> None:
    response = await development.get(url)

    assert response.status_code == 404


async def test_production_serves_neither_page_nor_assets(production: httpx.AsyncClient) -> None:
    page = await production.get("/graphql", headers=HTML)
    asset = await production.get("/graphql/assets/graphiql.min.js")

    assert page.status_code == 404
    assert "content-security-policy" not in page.headers
    assert asset.status_code == 404


async def test_missing_assets_give_a_page_that_says_how_to_install_them(tmp_path: Path) -> None:
    for name in ("index.html", "not-installed.html", "playground.js", "playground.css"):
        shutil.copy(PLAYGROUND_DIR / name, tmp_path / name)
    playground = Playground(tmp_path)

    response = playground.page()

    assert response.status_code == 503
    assert b"make install" in response.body
    assert response.headers["content-security-policy"]
    assert "graphiql.min.js" in playground.missing_assets()


async def test_a_missing_playground_is_said_on_the_page_and_its_assets_are_404(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A server installed without GraphiQL's files: not a database outage.
    monkeypatch.setattr("gatehouse.app.Playground", lambda: Playground(tmp_path / "gone"))
    async for client in _client(production=False):
        with caplog.at_level(logging.INFO):
            page = await client.get("/graphql", headers=HTML)
            asset = await client.get("/graphql/assets/graphiql.min.js")

    assert page.status_code == 503
    assert "make install" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert asset.status_code == 404
    assert "database unavailable" not in caplog.text
