from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from core.config import ConfigError, Settings
from gatehouse.app import create_app
from tests.support.database import SETTINGS

PORTAL = "https://portal.example.com"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.fixture
async def portal_client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(SETTINGS, cors_origins=(PORTAL,)), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_a_listed_origin_may_call_the_api_from_a_browser(
    portal_client: httpx.AsyncClient,
) -> None:
    response = await portal_client.options("/graphql", headers={"Origin": PORTAL, **PREFLIGHT})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


async def test_another_origin_is_not_allowed(portal_client: httpx.AsyncClient) -> None:
    response = await portal_client.options(
        "/graphql", headers={"Origin": "https://evil.example", **PREFLIGHT}
    )

    assert "access-control-allow-origin" not in response.headers


async def test_no_origin_is_allowed_by_default(client: httpx.AsyncClient) -> None:
    response = await client.options("/graphql", headers={"Origin": PORTAL, **PREFLIGHT})

    assert "access-control-allow-origin" not in response.headers


def test_cors_origins_are_read_as_a_comma_separated_list() -> None:
    settings = Settings.load(
        environ={"CORS_ORIGINS": "https://a.example, http://localhost:5173/"}, env_file=None
    )

    assert settings.cors_origins == ("https://a.example", "http://localhost:5173")


def test_a_malformed_cors_origin_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        Settings.load(environ={"CORS_ORIGINS": "portal.example.com"}, env_file=None)


@pytest.mark.parametrize(
    "header",
    ["x-request-id", "apollographql-client-name", "apollographql-client-version", "x-api-key"],
)
async def test_a_preflight_for_the_usual_client_headers_is_allowed(
    portal_client: httpx.AsyncClient, header: str
) -> None:
    response = await portal_client.options(
        "/graphql",
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": f"authorization, content-type, {header}",
        },
    )

    assert response.status_code == 200
    assert header in response.headers["access-control-allow-headers"].lower()


async def test_cors_allow_headers_adds_headers_a_preflight_may_ask_for() -> None:
    settings = Settings.load(
        environ={"CORS_ORIGINS": PORTAL, "CORS_ALLOW_HEADERS": "X-Tenant, x-request-id"},
        env_file=None,
    )
    app = create_app(replace(settings, argon2_memory_cost_kib=64), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    preflight = {"Origin": PORTAL, "Access-Control-Request-Method": "POST"}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        allowed = await client.options(
            "/graphql", headers={**preflight, "Access-Control-Request-Headers": "x-tenant"}
        )
        refused = await client.options(
            "/graphql", headers={**preflight, "Access-Control-Request-Headers": "x-other"}
        )

    assert allowed.status_code == 200
    assert refused.status_code == 400
    assert settings.cors_allow_headers.count("X-Request-ID") == 1
    assert "X-Tenant" in settings.cors_allow_headers


def test_a_malformed_cors_allow_header_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="CORS_ALLOW_HEADERS"):
        Settings.load(environ={"CORS_ALLOW_HEADERS": "X-Ok, bad header"}, env_file=None)
