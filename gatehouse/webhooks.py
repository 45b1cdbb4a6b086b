"""Delivering the webhook outbox: signed in the Standard Webhooks format, retried with
exponential backoff, and claimed with a lease so several server processes never send the
same event at the same time. Delivery is at least once: a receiver that answers after the
lease ran out may see an event twice, with the same `webhook-id` to drop the repeat.

One key's events arrive in the order of its changes: only the oldest undelivered event of
each ordering key is ever sent, so after an outage a later event (`key.revoked`) never
overtakes an earlier one (`key.created`) whose backoff happens to end later."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from core.clock import utcnow
from core.config import Settings
from core.text import redacted_url
from resolvers import webhook_delivery
from resolvers.key_sweep import enqueue_expiry_events
from resolvers.webhook_delivery import WebhookEvent

log = logging.getLogger("gatehouse.webhooks")

REQUEST_TIMEOUT_SECONDS = 10.0
# Longer than a request may take, so a live sender never loses its claim mid-request.
LEASE = timedelta(seconds=60)
FIRST_RETRY_SECONDS = 5
MAX_RETRY_SECONDS = 3600
BATCH_SIZE = 20
# A pass goes on while it delivers, so that a key's backlog goes out in one pass, not one
# event per pass; bounded, so a pass ends.
MAX_EVENTS_PER_PASS = 200
POLL_SECONDS = 1.0
EXPIRY_SCAN_SECONDS = 60.0


def signature(secret: str, event_id: str, timestamp: int, body: str) -> str:
    """`v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the secret's bytes."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def event_body(event: WebhookEvent) -> str:
    """The request body, exactly as sent and signed: compact JSON, non-ASCII escaped."""
    return json.dumps(event.payload, separators=(",", ":"))


def retry_delay(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … doubling up to an hour; an event is never given up on."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    )


@dataclass
class WebhookSender:
    url: str
    secret: str
    http: httpx.AsyncClient

    async def deliver_due(self) -> int:
        """One pass over the due events; returns how many were delivered."""
        delivered = attempted = 0
        while attempted < MAX_EVENTS_PER_PASS:
            due = await self._due_heads()
            delivered_now = 0
            for event_id in due:
                event = await self._claim(event_id)
                if event is not None:
                    attempted += 1
                    delivered_now += await self._send(event)
            delivered += delivered_now
            if not delivered_now:
                break
        return delivered

    async def _due_heads(self) -> list[int]:
        return await webhook_delivery.due_heads(utcnow(), BATCH_SIZE)

    async def _claim(self, event_pk: int) -> WebhookEvent | None:
        return await webhook_delivery.claim(event_pk, utcnow(), LEASE)

    async def _send(self, event: WebhookEvent) -> bool:
        body = event_body(event)
        timestamp = int(utcnow().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": event.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(self.secret, event.event_id, timestamp, body),
        }
        error = None
        try:
            response = await self.http.post(self.url, content=body, headers=headers)
            if not response.is_success:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        now = utcnow()
        if error is None:
            await webhook_delivery.mark_delivered(event, now)
            log.info(
                "webhook %s (%s) delivered to %s",
                event.event_id,
                event.type,
                redacted_url(self.url),
            )
            return True
        attempts = event.attempts + 1
        log.warning(
            "webhook %s (%s) attempt %d to %s failed: %s",
            event.event_id,
            event.type,
            attempts,
            redacted_url(self.url),
            error,
        )
        await webhook_delivery.mark_failed(event, attempts, now + retry_delay(attempts), error)
        return False


async def run_sender(settings: Settings, stop: asyncio.Event) -> None:
    """The server's background task: deliver due events, and look for keys entering their
    expiry warning window or expiring, until `stop` is set."""
    webhooks = settings.webhooks
    if webhooks.url is None or webhooks.secret is None:
        return
    last_scan: datetime | None = None
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS) as http:
        sender = WebhookSender(webhooks.url, str(webhooks.secret), http)
        while not stop.is_set():
            try:
                now = utcnow()
                if last_scan is None or now - last_scan >= timedelta(seconds=EXPIRY_SCAN_SECONDS):
                    await enqueue_expiry_events(webhooks.expiry_warning_days)
                    last_scan = now
                await sender.deliver_due()
            except Exception:  # the loop must outlive a database hiccup
                log.exception("webhook delivery pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
