"""The outbox's rows as the webhook sender (gatehouse/webhooks.py) works through them: the
due heads of each ordering key, a claim with a lease, and the outcome of a delivery."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q, Subquery
from tortoise.functions import Min

from models import WebhookEvent
from models.webhooks import without_credentials

__all__ = ["WebhookEvent", "claim", "due_heads", "mark_delivered", "mark_failed"]


async def due_heads(now: datetime, limit: int) -> list[int]:
    """Due, unclaimed events that are the oldest undelivered one of their ordering key.
    A claimed or backing-off head holds its key's later events back."""
    heads = (
        WebhookEvent.filter(delivered_at__isnull=True)
        .group_by("ordering_key")
        .annotate(head=Min("id"))
        .values("head")
    )
    due = await (
        WebhookEvent.filter(id__in=Subquery(heads), next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return [int(event_id) for event_id in due]  # type: ignore[call-overload]


async def claim(event_pk: int, now: datetime, lease: timedelta) -> WebhookEvent | None:
    """The event, leased to this sender until `now + lease`; None when it was delivered or
    another sender holds it."""
    claimed = await (
        WebhookEvent.filter(id=event_pk, delivered_at__isnull=True)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + lease)
    )
    return await WebhookEvent.get(id=event_pk) if claimed else None


async def mark_delivered(event: WebhookEvent, now: datetime) -> None:
    """Delivered: a credential the event carried (an invitation's token) is blanked in the
    stored row, which the receiver no longer needs it from."""
    blanked = without_credentials(event.payload)
    await WebhookEvent.filter(id=event.id).update(
        delivered_at=now,
        locked_until=None,
        attempts=event.attempts + 1,
        last_error=None,
        **({} if blanked is None else {"payload": blanked}),
    )


async def mark_failed(
    event: WebhookEvent, attempts: int, next_attempt_at: datetime, error: str
) -> None:
    await WebhookEvent.filter(id=event.id).update(
        attempts=attempts, next_attempt_at=next_attempt_at, locked_until=None, last_error=error
    )
