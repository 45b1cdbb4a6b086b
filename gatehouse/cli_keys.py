"""`python -m gatehouse keys list|revoke` and `sweep-keys`: key work for an operator with a
shell and no session, e.g. killing a key found leaked in a log."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from auth.runtime import Runtime
from core.config import Settings
from core.text import shown
from gatehouse.command_runtime import Work, run_command
from resolvers import key_sweep, keys_admin
from schema.ids import API_KEY, decode_global_id, global_id

log = logging.getLogger("gatehouse")


class KeyCommandError(Exception):
    pass


def key_pk(value: str) -> int:
    """The primary key of `--id`: the global id the API and `keys list` show
    (`QXBpS2V5OjI=`), or the bare number (a base64 id never is all digits)."""
    if value.isascii() and value.isdigit():
        return int(value)
    decoded = decode_global_id(value)
    if decoded is None:
        raise KeyCommandError(f"--id {value!r} is not an API key id such as keys list shows")
    type_name, pk = decoded
    if type_name != API_KEY:
        raise KeyCommandError(f"--id {value!r} is the id of a {type_name}, not of an API key")
    return pk


def _shown_id(pk: int) -> str:
    return str(global_id(API_KEY, pk))


def _run(settings: Settings, work: Work) -> None:
    run_command(settings, work, make_sqlite_directory=True)


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "never"


def _owner(key: keys_admin.KeyRow) -> str:
    if key.owned_by_service_account:
        if key.service_account_name is None:
            return "(deleted service account)"
        return f"{shown(key.service_account_name)} (service account)"
    return shown(key.owner_email) if key.owner_email is not None else "(deleted)"


def list_keys(settings: Settings, _: argparse.Namespace) -> None:
    # Names and emails are escaped: rows written before the input rules may hold control
    # or bidi characters, which would reach the operator's terminal as they are.
    async def work(_: Runtime) -> None:
        keys = await keys_admin.list_keys()
        rows = [("ID", "NAME", "KEY", "STATUS", "OWNER", "LAST USED")]
        for key in keys:
            owner = _owner(key)
            rows.append(
                (
                    _shown_id(key.pk),
                    shown(key.name),
                    key.masked_key,
                    key.status,
                    owner,
                    _when(key.last_used_at),
                )
            )
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            sys.stdout.write(line.rstrip() + "\n")

    _run(settings, work)


def revoke_key(settings: Settings, args: argparse.Namespace) -> None:
    async def work(_: Runtime) -> None:
        if args.id is not None:
            matches = await keys_admin.find_keys(pk=key_pk(args.id))
        else:
            matches = await keys_admin.find_keys(mask=args.prefix)
        if not matches:
            raise KeyCommandError("no key matches")
        if len(matches) > 1:
            found = ", ".join(
                f"{_shown_id(key.pk)} ({key.masked_key}, {shown(key.name)})" for key in matches
            )
            raise KeyCommandError(f"ambiguous: {len(matches)} keys match: {found}; use --id")
        (key,) = matches
        if await keys_admin.revoke_key(key.pk):
            log.info("revoked key %s (%s, %s)", _shown_id(key.pk), key.masked_key, shown(key.name))
        else:
            log.info("key %s (%s) was already revoked", _shown_id(key.pk), key.masked_key)

    _run(settings, work)


def sweep_keys(settings: Settings, _: argparse.Namespace) -> None:
    async def work(_: Runtime) -> None:
        report = await key_sweep.sweep(
            unused_days=settings.revoke_unused_after_days,
            warning_days=settings.expiry_warning_days,
        )
        if settings.revoke_unused_after_days is None:
            log.info("REVOKE_UNUSED_AFTER_DAYS is unset: no key revoked for disuse")
        for key in report.revoked:
            log.info(
                "revoked unused key %s (%s, %s)", _shown_id(key.pk), key.masked_key, shown(key.name)
            )
        log.info(
            "sweep done: %d keys revoked, %d expiry events queued, %d old delivered events pruned",
            len(report.revoked),
            report.expiry_events,
            report.pruned_events,
        )

    _run(settings, work)


def register(commands: Any) -> None:
    """Add `keys` and `sweep-keys` to the parser's subcommands."""
    keys = commands.add_parser("keys", help="list or revoke API keys without a session")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    actions.add_parser("list", help="every key: id, name, masked key, status, owner, last use")
    actions.choices["list"].set_defaults(run=list_keys)
    revoke = actions.add_parser(
        "revoke", help="revoke one key, found by id, masked key, prefix, or the key itself"
    )
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--id", help="the key's id as the API and `keys list` show it (QXBpS2V5OjI=), or its number"
    )
    which.add_argument(
        "--prefix", help='the masked key ("gk_Ab12…wXyZ"), its prefix ("gk_Ab12") or the key'
    )
    revoke.set_defaults(run=revoke_key)
    commands.add_parser(
        "sweep-keys",
        help="revoke keys unused for REVOKE_UNUSED_AFTER_DAYS and queue expiry webhook events; "
        "safe to run from cron on several hosts at once",
    ).set_defaults(run=sweep_keys)
