"""`python -m gatehouse COMMAND`: serve the API, migrate, and recover access."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import uvicorn
from asyncpg import InterfaceError, PostgresError  # type: ignore[import-untyped]
from tortoise import Tortoise
from tortoise.exceptions import BaseORMException

from auth import passwords
from core.config import ConfigError, Settings
from core.errors import GatehouseError
from gatehouse.bootstrap import ensure_first_super_admin
from gatehouse.database import apply_migrations, ensure_sqlite_directory, tortoise_config
from gatehouse.logging_setup import configure_logging, log_config
from gatehouse.metrics_endpoint import prepare_multiprocess_metrics
from models import Role, User

log = logging.getLogger("gatehouse")


class CommandError(Exception):
    pass


async def _with_database(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    ensure_sqlite_directory(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        await work()
    finally:
        await Tortoise.close_connections()


def serve(settings: Settings, _: argparse.Namespace) -> None:
    async def prepare() -> None:
        await apply_migrations(settings.database_url)
        await _with_database(settings, lambda: ensure_first_super_admin(settings))

    _configure_hasher(settings)
    asyncio.run(prepare())
    log.info("serving on http://%s:%s/graphql", settings.host, settings.port)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "log_level": settings.log_level.lower(),
        # uvicorn applies it again in every worker process it starts.
        "log_config": log_config(settings.log_level, settings.log_format),
        "access_log": False,
        "proxy_headers": False,
    }
    prepare_multiprocess_metrics(settings.workers)
    if settings.workers > 1:
        uvicorn.run(
            "gatehouse.app:app_from_environment", factory=True, workers=settings.workers, **options
        )
    else:
        from gatehouse.app import create_app

        uvicorn.run(create_app(settings), **options)


def migrate(settings: Settings, _: argparse.Namespace) -> None:
    asyncio.run(apply_migrations(settings.database_url))
    log.info("database is up to date")


def create_user(settings: Settings, args: argparse.Namespace) -> None:
    from resolvers import users

    password = _read_password()
    _configure_hasher(settings)

    async def work() -> None:
        user = await users.create_user(
            email=args.email,
            display_name=args.display_name or args.email.split("@")[0],
            password=password,
            roles=[Role(role) for role in args.role],
        )
        log.info("created user %s (id %s) with roles %s", user.email, user.id, ",".join(user.roles))

    asyncio.run(apply_migrations(settings.database_url))
    asyncio.run(_with_database(settings, work))


def reset_password(settings: Settings, args: argparse.Namespace) -> None:
    from resolvers import users

    password = _read_password()
    _configure_hasher(settings)

    async def work() -> None:
        user = await User.get_or_none(email=users.normalise_email(args.email))
        if user is None:
            raise CommandError(f"no user with email {args.email}")
        await users.set_password(user, password)
        log.info("password of %s replaced; its sessions have ended", user.email)

    asyncio.run(_with_database(settings, work))


def print_schema(_: Settings, __: argparse.Namespace) -> None:
    from schema import print_schema as printed

    sys.stdout.write(printed())


def _configure_hasher(settings: Settings) -> None:
    passwords.configure(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib, settings.argon2_parallelism
    )


def _read_password() -> str:
    """From a prompt, or the first line of standard input when it is not a terminal; never
    from the command line, where it would land in shell history and `ps`."""
    if sys.stdin.isatty():
        password = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != password:
            raise CommandError("the passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatehouse", description="Gatehouse: users and API keys for an admin portal."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "serve", help="apply migrations, create the first super-admin if needed, serve the API"
    ).set_defaults(run=serve)
    commands.add_parser("migrate", help="apply pending database migrations").set_defaults(
        run=migrate
    )
    create = commands.add_parser(
        "create-user", help="create a user; the password is read from a prompt or stdin"
    )
    create.add_argument("--email", required=True)
    create.add_argument("--display-name")
    create.add_argument(
        "--role",
        action="append",
        choices=[role.value for role in Role],
        default=None,
        help="repeat for several roles (default SUPER_ADMIN)",
    )
    create.set_defaults(run=create_user)
    reset = commands.add_parser(
        "reset-password",
        help="replace a user's password and end their sessions; read from a prompt or stdin",
    )
    reset.add_argument("--email", required=True)
    reset.set_defaults(run=reset_password)
    commands.add_parser("print-schema", help="print the GraphQL SDL").set_defaults(run=print_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "role", None) is None and args.command == "create-user":
        args.role = [Role.SUPER_ADMIN.value]
    try:
        settings = Settings.load()
        configure_logging(settings)
        args.run(settings, args)
    except ConfigError as exc:
        print(f"gatehouse: configuration error: {exc}", file=sys.stderr)
        return 2
    except (CommandError, GatehouseError) as exc:
        print(f"gatehouse: {exc}", file=sys.stderr)
        return 1
    except (OSError, BaseORMException, PostgresError, InterfaceError) as exc:
        # A wrong role, password or database name is the operator's to fix, not a crash.
        print(f"gatehouse: database error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
