import importlib
from collections.abc import Iterable

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    specified_directives,
    specified_scalar_types,
)
from graphql import build_schema as graphql_build_schema
from tortoise import fields
from tortoise.context import TortoiseContext
from tortoise.fields.relational import ManyToManyFieldInstance
from tortoise.migrations import operations as ops
from tortoise.migrations.autodetector import MigrationAutodetector

from gatehouse.database import MIGRATIONS_MODULE, known_migrations, tortoise_config
from schema import build_schema, print_schema
from tests.support.paths import ROOT

SPECIFIED_SCALARS = set(specified_scalar_types)


def test_committed_sdl_matches_the_schema() -> None:
    committed = (ROOT / "schema.graphql").read_text()

    assert committed == print_schema(), "schema.graphql is stale: run `make schema`"


def test_sdl_shows_who_may_call_each_field() -> None:
    sdl = print_schema()

    assert (
        '"""An ApiKey\'s global id."""\n    id: ID!\n'
        "  ): ID! @isAuthenticated @requires(roles: [SUPER_ADMIN], scope: ADMIN)" in sdl
    )
    assert "logout: Boolean! @isAuthenticated @isNotApiKey" in sdl
    assert "password: String!\n  ): LoginPayload! @isNotApiKey\n" in sdl
    assert "newPassword: String!\n  ): Boolean! @isAuthenticated @isNotApiKey\n" in sdl


async def test_committed_migrations_match_the_models() -> None:
    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as context:
        await context.init(config=config)
        assert context.apps is not None
        autodetector = MigrationAutodetector(context.apps, config["apps"])

        pending = await autodetector.changes()

    assert pending == [], "models changed without a migration: run `make migrations`"


def _columns_without_a_value(operations: Iterable[ops.Operation]) -> list[str]:
    """Columns added to a table that may hold rows, with nothing to put in those rows: the
    ALTER TABLE fails on SQLite and PostgreSQL alike (a Python `default` is not enough)."""
    return [
        f"{operation.model_name}.{operation.name}"
        for operation in operations
        if isinstance(operation, ops.AddField)
        and isinstance(operation.field, fields.Field)
        and not isinstance(operation.field, ManyToManyFieldInstance)  # a table of its own
        and not operation.field.null
        and not operation.field.has_db_default()
    ]


def test_every_added_non_null_column_has_a_database_default() -> None:
    unfilled = {
        name: _columns_without_a_value(
            importlib.import_module(f"{MIGRATIONS_MODULE}.{name}").Migration.operations
        )
        for name in known_migrations()
    }

    assert {name: columns for name, columns in unfilled.items() if columns} == {}, (
        "give each added non-null column db_default=…, or it fails on a populated database"
    )


def test_the_default_check_catches_a_python_only_default() -> None:
    def added(field: fields.Field[int]) -> list[str]:
        return _columns_without_a_value([ops.AddField("ApiKey", "counter", field)])

    assert added(fields.BigIntField(default=0)) == ["ApiKey.counter"]
    assert added(fields.BigIntField()) == ["ApiKey.counter"]
    assert added(fields.BigIntField(default=0, db_default=0)) == []
    assert added(fields.BigIntField(null=True)) == []


def _undescribed(schema: GraphQLSchema) -> list[str]:
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in SPECIFIED_SCALARS:
            continue  # introspection types and GraphQL's own scalars
        if not graphql_type.description:
            missing.append(f"type {name}")
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"field {name}.{field_name}")
                missing += [
                    f"argument {name}.{field_name}({argument_name})"
                    for argument_name, argument in field.args.items()
                    if not argument.description
                ]
        if isinstance(graphql_type, GraphQLInputObjectType):
            missing += [
                f"input field {name}.{field_name}"
                for field_name, field in graphql_type.fields.items()
                if not field.description
            ]
        if isinstance(graphql_type, GraphQLEnumType):
            missing += [
                f"enum value {name}.{value_name}"
                for value_name, value in graphql_type.values.items()
                if not value.description
            ]
    for directive in schema.directives:
        if directive in specified_directives:
            continue
        if not directive.description:
            missing.append(f"directive @{directive.name}")
        missing += [
            f"argument @{directive.name}({argument_name})"
            for argument_name, argument in directive.args.items()
            if not argument.description
        ]
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    schema = build_schema()._schema

    assert _undescribed(schema) == []


def test_the_printed_sdl_carries_the_descriptions() -> None:
    reparsed = graphql_build_schema(print_schema())

    assert _undescribed(reparsed) == []


def test_dates_say_which_specification_they_follow() -> None:
    sdl = print_schema()

    assert 'scalar DateTime @specifiedBy(url: "https://www.rfc-editor.org/rfc/rfc3339' in sdl
    assert 'scalar Date @specifiedBy(url: "https://www.rfc-editor.org/rfc/rfc3339' in sdl


def test_user_and_api_key_implement_node() -> None:
    sdl = print_schema()

    assert "interface Node {" in sdl
    assert "type User implements Node {" in sdl
    assert "type ApiKey implements Node {" in sdl
