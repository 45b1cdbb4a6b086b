from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from gatehouse.database import tortoise_config
from schema import print_schema

ROOT = Path(__file__).resolve().parent.parent


def test_committed_sdl_matches_the_schema() -> None:
    committed = (ROOT / "schema.graphql").read_text()

    assert committed == print_schema(), "schema.graphql is stale: run `make schema`"


def test_sdl_shows_who_may_call_each_field() -> None:
    sdl = print_schema()

    assert (
        "deleteApiKey(id: ID!): ID! @isAuthenticated @requires(roles: [SUPER_ADMIN], scope: ADMIN)"
        in sdl
    )
    assert "logout: Boolean! @isAuthenticated @isNotApiKey" in sdl
    assert "login(email: String!, password: String!): LoginPayload! @isNotApiKey\n" in sdl


async def test_committed_migrations_match_the_models() -> None:
    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as context:
        await context.init(config=config)
        autodetector = MigrationAutodetector(context.apps, config["apps"])

        pending = await autodetector.changes()

    assert pending == [], "models changed without a migration: run `make migrations`"
