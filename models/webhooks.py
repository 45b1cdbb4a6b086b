"""The webhook outbox: events are written in the transaction of the change they report and
delivered later by the server, so a crash or an unreachable receiver loses nothing."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model

from core.clock import utcnow
from models.api_keys import ApiKey


class WebhookEvent(Model):
    id = fields.BigIntField(primary_key=True)
    # The Standard Webhooks `webhook-id`: the same on every attempt, so receivers can
    # drop a repeat delivery.
    event_id = fields.CharField(max_length=40, unique=True)
    type = fields.CharField(max_length=32)
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField()
    # Events that must be sent once only (`key.expiring`, `key.expired`) carry a key that
    # makes a second insert, from another process or a second sweep, a no-op.
    dedupe_key = fields.CharField(max_length=100, null=True, unique=True)
    # Events with the same ordering key (one key's events: "ApiKey:<pk>") are delivered one
    # at a time in the order they were written; events written before this column existed
    # share the null key, and so are delivered in order too.
    ordering_key = fields.CharField(max_length=64, null=True, db_index=True)
    created_at = fields.DatetimeField(db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    # A process that claims the event owns it until then; another may take over after.
    locked_until = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "webhook_events"


@dataclass
class Outbox:
    """Events are written only while webhooks are configured: turning WEBHOOK_URL on later
    does not flood the receiver with the backlog of a time it was off. Made by the
    process's `Runtime` (auth/runtime.py), which alone calls `use_outbox`: the change
    functions that write events sit below it and are called without it."""

    enabled: bool = False


_outbox = Outbox()


def use_outbox(outbox: Outbox) -> None:
    global _outbox
    _outbox = outbox


def outbox_enabled() -> bool:
    return _outbox.enabled


def global_id(type_name: str, pk: int) -> str:
    # The ids the GraphQL API shows (Relay's base64 of "<Type>:<pk>"), so that a receiver
    # can look the key up with `node(id:)`.
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def key_event_data(api_key: ApiKey, now: datetime) -> dict[str, Any]:
    """What receivers learn about a key: never its secret or hash."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": global_id("ApiKey", api_key.id),
        "name": api_key.name,
        "maskedKey": api_key.masked_key,
        "scopes": [str(scope) for scope in api_key.scopes],
        "status": str(api_key.status_at(now)),
        "createdBy": global_id("User", api_key.created_by_id) if api_key.created_by_id else None,
        # The service account the key acts as; null for a user's key.
        "serviceAccount": (
            global_id("ServiceAccount", api_key.service_account_id)
            if api_key.owned_by_service_account and api_key.service_account_id
            else None
        ),
        "expiresAt": iso(api_key.expires_at),
        "revokedAt": iso(api_key.revoked_at),
        "disabledAt": iso(api_key.disabled_at),
        "rolledAt": iso(api_key.rolled_at),
        "previousSecretExpiresAt": iso(api_key.previous_secret_expires_at),
    }


def new_event(event_type: str, api_key: ApiKey, dedupe_key: str | None = None) -> WebhookEvent:
    return event_of(
        event_type,
        key_event_data(api_key, utcnow()),
        ordering_key=f"ApiKey:{api_key.id}",
        dedupe_key=dedupe_key,
    )


def event_of(
    event_type: str, data: dict[str, Any], *, ordering_key: str, dedupe_key: str | None = None
) -> WebhookEvent:
    now = utcnow()
    event_id = "msg_" + secrets.token_urlsafe(24)
    return WebhookEvent(
        event_id=event_id,
        type=event_type,
        payload={"type": event_type, "timestamp": now.isoformat(), "data": data},
        dedupe_key=dedupe_key,
        ordering_key=ordering_key,
        created_at=now,
        next_attempt_at=now,
    )


async def enqueue_key_event(event_type: str, api_key: ApiKey) -> None:
    """Call inside the transaction of the change, so both land or neither does."""
    if outbox_enabled():
        await new_event(event_type, api_key).save()


async def enqueue_event(event_type: str, data: dict[str, Any], *, ordering_key: str) -> None:
    """As `enqueue_key_event`, for an event about another row (an invitation)."""
    if outbox_enabled():
        await event_of(event_type, data, ordering_key=ordering_key).save()


# Fields of an event's `data` that carry a credential (an invitation's token, and the URL
# that holds it): stored only until the event is delivered, then blanked in its row.
CREDENTIAL_FIELDS = ("token", "url")


def without_credentials(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The payload as kept after delivery; None when it carries no credential."""
    data = payload.get("data")
    if not isinstance(data, dict) or all(data.get(name) is None for name in CREDENTIAL_FIELDS):
        return None
    blanked = {name: None for name in CREDENTIAL_FIELDS if name in data}
    return {**payload, "data": {**data, **blanked}}


async def drop_undelivered(event_type: str, ordering_key: str, now: datetime) -> int:
    """Delete the row's undelivered events of `event_type` that no sender holds now: their
    credential stopped working (an invitation resent, revoked or accepted), so sending them
    would only mail a dead link, and keeping them would keep the credential."""
    return await (
        WebhookEvent.filter(type=event_type, ordering_key=ordering_key, delivered_at__isnull=True)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .delete()
    )
