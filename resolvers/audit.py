"""The audit log: read by super-admins, newest first, and pruned by age."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from core.clock import utcnow
from core.errors import bad_input
from models import AuditEvent
from resolvers.listing import Condition, Listing, db_value
from resolvers.pagination import Page, PageRequest, paginate

log = logging.getLogger("gatehouse.audit")

MAX_ACTION_LENGTH = 64
MAX_OUTCOME_LENGTH = 32
PRUNE_BATCH_SIZE = 1000


def _bounded(name: str, value: str | None, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        raise bad_input(f"`{name}` must be at most {limit} characters long.")
    return value


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def list_audit_events(
    page: PageRequest,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    target_id: int | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    with_total: bool = False,
) -> Page[AuditEvent]:
    """`since` is inclusive and `until` exclusive, so consecutive windows never overlap."""
    conditions = []
    if actor_id is not None:
        conditions.append(Condition('m."actor_id" = ?', (actor_id,)))
    if target_id is not None:
        conditions.append(Condition('m."target_id" = ?', (target_id,)))
    if _bounded("action", action, MAX_ACTION_LENGTH) is not None:
        conditions.append(Condition('m."action" = ?', (action,)))
    if _bounded("outcome", outcome, MAX_OUTCOME_LENGTH) is not None:
        conditions.append(Condition('m."outcome" = ?', (outcome,)))
    if since is not None:
        conditions.append(Condition('m."at" >= ?', (db_value(AuditEvent, "at", _utc(since)),)))
    if until is not None:
        conditions.append(Condition('m."at" < ?', (db_value(AuditEvent, "at", _utc(until)),)))
    return await paginate(
        Listing(AuditEvent, tuple(conditions)),
        page,
        kind="AuditEvent",
        newest_first=True,
        with_total=with_total,
    )


async def prune_audit_events(retention_days: int, *, batch_size: int = PRUNE_BATCH_SIZE) -> int:
    """Delete the events older than `retention_days`, in batches of bounded size so that no
    transaction or lock grows with the backlog. Each batch deletes rows by id, so several
    hosts may run this at once: a row deleted by another host is simply not counted here."""
    cutoff = utcnow() - timedelta(days=retention_days)
    removed = 0
    while True:
        batch = await (
            AuditEvent.filter(at__lt=cutoff)
            .order_by("id")
            .limit(batch_size)
            .values_list("id", flat=True)
        )
        if not batch:
            break
        removed += await AuditEvent.filter(id__in=batch).delete()
        if len(batch) < batch_size:
            break
    log.info(
        "pruned %d audit events older than %d days (before %s)",
        removed,
        retention_days,
        cutoff.isoformat(timespec="seconds"),
    )
    return removed
