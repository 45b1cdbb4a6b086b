"""`python -m gatehouse COMMAND`: serve the API, migrate, and recover access."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib.metadata
import logging
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

from asyncpg import InterfaceError, PostgresError  # type: ignore[import-untyped]
from redis.exceptions import RedisError
from tortoise.exceptions import BaseORMException

from auth import rate_limits
from auth.runtime import Runtime
from core.config import ConfigError, Settings
from core.errors import GatehouseError
from core.text import shown
from gatehouse import cli_keys, server
from gatehouse.command_runtime import run_command, with_runtime
from gatehouse.database import apply_migrations
from gatehouse.logging_setup import configure_logging, log_config
from gatehouse.metrics_endpoint import prepare_multiprocess_metrics
from gatehouse.startup import DatabaseUnusableError, record_deployment, startup_lock
from resolvers.bootstrap import (
    ROLE_NAMES,
    SUPER_ADMIN,
    create_account,
    ensure_first_super_admin,
    reset_mfa,
    warn_about_mfa_policy,
)
from resolvers.bootstrap import reset_password as reset_account_password

log = logging.getLogger("gatehouse")


class CommandError(Exception):
    pass


async def _prepare_database(settings: Settings, *, first_super_admin: bool) -> None:
    """Migrations (and the first super-admin) one process at a time; the others find the
    work done and carry on."""
    async with startup_lock(settings.database_url, allow_new_database=settings.allow_new_database):
        await apply_migrations(settings.database_url)
        if first_super_admin:

            async def first_super_admin_work(_: Runtime) -> None:
                await ensure_first_super_admin(settings)

            await with_runtime(settings, first_super_admin_work)
        record_deployment(settings.database_url)


def serve(settings: Settings, _: argparse.Namespace) -> None:
    sock = server.bind(settings.host, settings.port)
    try:
        asyncio.run(_check_redis(settings))
        warn_about_mfa_policy(settings)
        asyncio.run(_prepare_database(settings, first_super_admin=True))
        log.info("serving on http://%s:%s/graphql", settings.host, settings.port)
        _warn_without_webauthn_settings(settings)
        # X-Forwarded-For only from TRUSTED_PROXIES, resolved by uvicorn itself; the
        # value travels to each worker inside uvicorn's config.
        prepare_multiprocess_metrics(settings.workers)
        exit_code = server.run(
            settings,
            sock,
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=",".join(settings.trusted_proxies),
            # uvicorn applies it again in every worker process it starts.
            log_config=log_config(settings.log_level, settings.log_format),
            access_log=False,
        )
    finally:
        sock.close()
    if exit_code:
        raise SystemExit(exit_code)


def _warn_without_webauthn_settings(settings: Settings) -> None:
    if not settings.webauthn.enabled:
        log.warning(
            "WEBAUTHN_RP_ID is not set: passkeys are off in production until it (and "
            "WEBAUTHN_ORIGINS, when the portal is not at https://<WEBAUTHN_RP_ID>) is set"
        )


async def _check_redis(settings: Settings) -> None:
    if settings.redis_url is None:
        return
    if not await rate_limits.redis_answers(settings):
        location = urlsplit(str(settings.redis_url))
        where = f"{location.hostname}:{location.port or 6379}"
        if settings.readiness_requires_redis:
            raise CommandError(f"REDIS_URL: Redis does not answer at {where}")
        # A restart during a Redis outage must not take the API down with it.
        log.warning(
            "REDIS_URL: Redis does not answer at %s; starting anyway (sign-ins fail until it "
            "does; READINESS_REQUIRES_REDIS=true refuses to start instead)",
            where,
        )


def migrate(settings: Settings, _: argparse.Namespace) -> None:
    asyncio.run(_prepare_database(settings, first_super_admin=False))
    log.info("database is up to date")


def create_user(settings: Settings, args: argparse.Namespace) -> None:
    password = _read_password()

    async def work(_: Runtime) -> None:
        account = await create_account(
            email=args.email,
            display_name=args.display_name or args.email.split("@")[0],
            password=password,
            role_names=args.role,
        )
        log.info(
            "created user %s (id %s) with roles %s",
            shown(account.email),
            account.pk,
            ",".join(account.roles),
        )

    asyncio.run(_prepare_database(settings, first_super_admin=False))
    run_command(settings, work)


def reset_password(settings: Settings, args: argparse.Namespace) -> None:
    password = _read_password()

    # The runtime's limiter is where the sign-in lock is kept (Redis or the table): the
    # reset lifts it there.
    async def work(_: Runtime) -> None:
        account = await reset_account_password(args.email, password)
        if account is None:
            raise CommandError(f"no user with email {shown(args.email)}")
        log.info(
            "password of %s replaced; its sessions have ended and its sign-in lock is lifted",
            shown(account.email),
        )

    asyncio.run(_prepare_database(settings, first_super_admin=False))
    run_command(settings, work)


def reset_mfa_command(settings: Settings, args: argparse.Namespace) -> None:
    async def work(_: Runtime) -> None:
        found = await reset_mfa(args.email)
        if found is None:
            raise CommandError(f"no user with email {shown(args.email)}")
        account, ended = found
        log.info(
            "second factors of %s removed (TOTP, recovery codes); %d sessions ended",
            shown(account.email),
            ended,
        )

    asyncio.run(_prepare_database(settings, first_super_admin=False))
    run_command(settings, work)


def prune_audit(settings: Settings, _: argparse.Namespace) -> None:
    from resolvers.audit import prune_audit_events

    async def work(_: Runtime) -> None:
        await prune_audit_events(settings.audit_retention_days)

    run_command(settings, work)


def prune_usage(settings: Settings, args: argparse.Namespace) -> None:
    from resolvers.usage_retention import prune_usage as prune_usage_rollups

    async def work(_: Runtime) -> None:
        await prune_usage_rollups(
            settings.usage_hourly_retention_days,
            settings.usage_daily_retention_days,
            batch_size=args.batch_size,
        )

    run_command(settings, work)


def print_schema(_: Settings, __: argparse.Namespace) -> None:
    from schema import print_schema as printed

    sys.stdout.write(printed())


def _read_password() -> str:
    """From a prompt, or the first line of standard input when it is not a terminal; never
    from the command line, where it would land in shell history and `ps`."""
    if sys.stdin.isatty():
        password = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != password:
            raise CommandError("the passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


_SERVE_HELP = """\
Serve the GraphQL API on http://HOST:PORT/graphql (with /healthz and /readyz beside it).

In order: bind the socket (a port in use stops here, before anything is written); check
that the database can be used (a clear one-line error within seconds if not); apply pending
migrations and, on an empty database, create the first super-admin, one replica at a time;
then serve with WORKERS processes. The super-admin is ADMIN_EMAIL / ADMIN_PASSWORD, or
admin@localhost with a random password printed once.

SIGTERM or Ctrl-C: /readyz answers 503 at once, requests in flight get up to
SHUTDOWN_GRACE_SECONDS, the database is closed and the process exits 0.
Settings come from the environment or ./.env (see the README's Configuration table)."""
_MIGRATE_HELP = """\
Apply pending database migrations to DATABASE_URL and exit. Safe to run while other
replicas start or serve: migrations run under a lock, one process at a time."""
_CREATE_USER_HELP = """\
Create a portal user on DATABASE_URL (migrating it first if needed). The password is read
from a prompt, or from the first line of standard input when that is not a terminal;
never from the command line, where shell history and `ps` would keep it."""
_RESET_HELP = """\
Replace a user's password and end all of their sessions: the way back in when every
super-admin is locked out. The new password is read like create-user's."""
_RESET_MFA_HELP = """\
Remove every second factor of a user (TOTP secret, recovery codes) and end all of their
sessions: for the operator who lost their authenticator and every recovery code. The user
signs in with their password alone and enrols again."""
_PRINT_SCHEMA_HELP = "Print the GraphQL schema (SDL) to standard output."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatehouse", description="Gatehouse: users and API keys for an admin portal."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary,
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    command(
        "serve",
        "apply migrations, create the first super-admin if needed, serve the API",
        _SERVE_HELP,
    ).set_defaults(run=serve)
    command("migrate", "apply pending database migrations", _MIGRATE_HELP).set_defaults(run=migrate)
    create = command(
        "create-user",
        "create a user; the password is read from a prompt or stdin",
        _CREATE_USER_HELP,
    )
    create.add_argument("--email", required=True, help="the user's email, their sign-in name")
    create.add_argument("--display-name", help="shown in the portal (default: the email's name)")
    create.add_argument(
        "--role",
        action="append",
        choices=ROLE_NAMES,
        default=None,
        help="repeat for several roles (default SUPER_ADMIN)",
    )
    create.set_defaults(run=create_user)
    reset = command(
        "reset-password",
        "replace a user's password and end their sessions; read from a prompt or stdin",
        _RESET_HELP,
    )
    reset.add_argument("--email", required=True, help="whose password to replace")
    reset.set_defaults(run=reset_password)
    reset_mfa_parser = command(
        "reset-mfa", "remove a user's second factors and end their sessions", _RESET_MFA_HELP
    )
    reset_mfa_parser.add_argument("--email", required=True, help="whose second factors to remove")
    reset_mfa_parser.set_defaults(run=reset_mfa_command)
    command(
        "prune-audit",
        "delete audit events older than AUDIT_RETENTION_DAYS",
        "Delete audit events older than AUDIT_RETENTION_DAYS (default 365), in batches,\n"
        "and log how many went. Safe to run from cron on several hosts at once: each\n"
        "batch deletes by age, so two runs never remove an event twice or skip one.",
    ).set_defaults(run=prune_audit)
    usage = command(
        "prune-usage",
        "delete usage roll-ups past USAGE_HOURLY_RETENTION_DAYS / USAGE_DAILY_RETENTION_DAYS",
        "Delete hourly usage buckets older than USAGE_HOURLY_RETENTION_DAYS (default 14)\n"
        "and daily ones older than USAGE_DAILY_RETENTION_DAYS (default 400); monthly\n"
        "buckets are kept. Deletes in batches, logging its progress. Safe to run from cron\n"
        "on several hosts at once: a row is deleted once, whoever deletes it, and on\n"
        "PostgreSQL a run skips rows another run is deleting instead of waiting for them.",
    )
    usage.add_argument(
        "--batch-size", type=int, default=5000, help="rows per DELETE (default 5000)"
    )
    usage.set_defaults(run=prune_usage)
    command("print-schema", "print the GraphQL SDL", _PRINT_SCHEMA_HELP).set_defaults(
        run=print_schema
    )
    cli_keys.register(commands)
    return parser


def _version() -> str:
    try:
        return importlib.metadata.version("gatehouse")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout, not installed
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "role", None) is None and args.command == "create-user":
        args.role = [SUPER_ADMIN]
    try:
        settings = Settings.load()
        configure_logging(settings)
        args.run(settings, args)
    except ConfigError as exc:
        print(f"gatehouse: configuration error: {exc}", file=sys.stderr)
        return 2
    except (CommandError, cli_keys.KeyCommandError, GatehouseError, server.ListenError) as exc:
        print(f"gatehouse: {exc}", file=sys.stderr)
        return 1
    except RedisError as exc:
        # Caught before OSError: "Redis error", not "database error", even for a socket's.
        print(f"gatehouse: Redis (REDIS_URL) error: {exc}", file=sys.stderr)
        return 1
    except DatabaseUnusableError as exc:
        print(f"gatehouse: database error: {exc}", file=sys.stderr)
        return 1
    except (OSError, BaseORMException, PostgresError, InterfaceError) as exc:
        # A wrong role, password or database name is the operator's to fix, not a crash.
        print(f"gatehouse: database error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
