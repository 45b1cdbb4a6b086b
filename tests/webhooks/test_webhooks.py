"""Webhook events: written in the change's transaction, signed in the Standard Webhooks
format, retried with backoff until a real receiver on 127.0.0.1 takes them, once each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import standardwebhooks
import time_machine
from httpx import AsyncClient

from auth.runtime import current
from core.config import ConfigError, Settings
from core.text import redacted_url
from gatehouse.app import create_app
from gatehouse.webhooks import WebhookSender, event_body, retry_delay, signature
from models import ApiKey, Role, User, WebhookEvent
from models.webhooks import new_event
from tests.support.database import SETTINGS, column
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login
from tests.support.logging_capture import server_logging
from tests.support.paths import ROOT
from tests.support.webhook_receiver import SECRET, Receiver

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CREATE = """
mutation Create($name: String!) {
  createApiKey(input: {name: $name, scopes: [READ]}) { secret apiKey { id } }
}
"""
ROLL = "mutation Roll($id: ID!) { rollKey(id: $id, gracePeriodSeconds: 60) { secret } }"
REVOKE = "mutation Revoke($id: ID!) { revokeKey(id: $id) { id } }"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
async def webhook_client(db: None, receiver: Receiver) -> AsyncIterator[AsyncClient]:
    settings = replace(SETTINGS, webhook_url=receiver.url)
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    try:
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        current().outbox.enabled = False  # as the other tests' app has it


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def key_lifecycle(client: AsyncClient) -> str:
    """Create, roll and revoke a key over GraphQL; returns the key's id."""
    token = await login(client, await make_user(roles=(Role.ADMIN,)))
    created = await graphql(client, CREATE, {"name": "hooked"}, token=token)
    key_id: str = created["data"]["createApiKey"]["apiKey"]["id"]
    await graphql(client, ROLL, {"id": key_id}, token=token)
    await graphql(client, REVOKE, {"id": key_id}, token=token)
    return key_id


def test_signature_is_the_standard_webhooks_one() -> None:
    body = '{"type":"key.created"}'
    timestamp = int(NOW.timestamp())

    mine = signature(SECRET, "msg_1", timestamp, body)

    reference = standardwebhooks.Webhook(SECRET).sign("msg_1", NOW, body)
    assert mine == reference


def test_retries_back_off_exponentially_up_to_an_hour() -> None:
    delays = [retry_delay(attempt).total_seconds() for attempt in (1, 2, 3, 4, 12, 50)]

    assert delays == [5, 10, 20, 40, 3600, 3600]


async def test_events_wait_for_a_receiver_that_is_down_and_arrive_once_signed(
    webhook_client: AsyncClient, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    sender = WebhookSender(receiver.url, SECRET, http)
    with time_machine.travel(NOW, tick=False) as clock:
        key_id = await key_lifecycle(webhook_client)

        # Down: nothing listens on the port. The key's first event is tried and
        # rescheduled; its later events wait behind it, untried.
        assert await sender.deliver_due() == 0
        assert await WebhookEvent.filter(attempts=1, delivered_at__isnull=True).count() == 1
        assert await WebhookEvent.filter(attempts=0, delivered_at__isnull=True).count() == 2
        clock.shift(timedelta(seconds=4))
        assert await sender.deliver_due() == 0  # not due before the backoff ends
        assert await WebhookEvent.filter(attempts=1).count() == 1

        receiver.start()
        clock.shift(timedelta(seconds=1))
        assert await sender.deliver_due() == 3
        clock.shift(timedelta(hours=2))
        assert await sender.deliver_due() == 0

    events = receiver.verified_events()
    assert [event["type"] for event in events] == ["key.created", "key.rolled", "key.revoked"]
    assert {event["data"]["id"] for event in events} == {key_id}  # type: ignore[index]
    assert len(set(receiver.ids())) == 3
    assert await WebhookEvent.filter(delivered_at__isnull=True).count() == 0


async def test_after_an_outage_a_keys_events_arrive_in_the_order_of_its_changes(
    webhook_client: AsyncClient, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    sender = WebhookSender(receiver.url, SECRET, http)
    with time_machine.travel(NOW, tick=False) as clock:
        token = await login(webhook_client, await make_user(roles=(Role.ADMIN,)))
        created = await graphql(webhook_client, CREATE, {"name": "ordered"}, token=token)
        key_id = created["data"]["createApiKey"]["apiKey"]["id"]
        # The receiver is down: key.created backs off 5 s, then 10 s.
        await sender.deliver_due()
        clock.shift(timedelta(seconds=5))
        await sender.deliver_due()
        # Revoked now, so key.revoked is due at once, while key.created waits 10 s more.
        await graphql(webhook_client, REVOKE, {"id": key_id}, token=token)
        receiver.start()

        assert await sender.deliver_due() == 0  # key.revoked may not overtake key.created
        clock.shift(timedelta(seconds=10))
        assert await sender.deliver_due() == 2

    events = receiver.verified_events()
    assert [event["type"] for event in events] == ["key.created", "key.revoked"]
    revoked = await WebhookEvent.get(type="key.revoked")
    assert revoked.attempts == 1  # never tried before its turn


async def test_a_claimed_event_holds_back_its_keys_later_events_only(
    webhook_client: AsyncClient, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.start()
    sender = WebhookSender(receiver.url, SECRET, http)
    with time_machine.travel(NOW, tick=False):
        token = await login(webhook_client, await make_user(roles=(Role.ADMIN,)))
        first = await graphql(webhook_client, CREATE, {"name": "in flight"}, token=token)
        first_id = first["data"]["createApiKey"]["apiKey"]["id"]
        # Another process is delivering key.created of the first key right now.
        await WebhookEvent.filter(type="key.created").update(
            locked_until=NOW + timedelta(seconds=60)
        )
        await graphql(webhook_client, REVOKE, {"id": first_id}, token=token)
        await graphql(webhook_client, CREATE, {"name": "independent"}, token=token)

        assert await sender.deliver_due() == 1

    [event] = receiver.verified_events()
    assert (event["type"], event["data"]["name"]) == ("key.created", "independent")  # type: ignore[index]
    assert (await WebhookEvent.get(type="key.revoked")).delivered_at is None


async def test_a_receiver_error_is_retried(
    webhook_client: AsyncClient, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.failures_left = 2
    receiver.start()
    sender = WebhookSender(receiver.url, SECRET, http)
    with time_machine.travel(NOW, tick=False) as clock:
        token = await login(webhook_client, await make_user(roles=(Role.ADMIN,)))
        await graphql(webhook_client, CREATE, {"name": "retried"}, token=token)

        assert await sender.deliver_due() == 0
        clock.shift(timedelta(seconds=5))
        assert await sender.deliver_due() == 0
        clock.shift(timedelta(seconds=10))
        assert await sender.deliver_due() == 1

    event = await WebhookEvent.get(type="key.created")
    assert (event.attempts, event.last_error) == (3, None)
    assert [event["type"] for event in receiver.verified_events()] == ["key.created"]


async def test_delivery_logs_name_the_receiver_without_its_credentials(
    webhook_client: AsyncClient, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.failures_left = 1
    receiver.start()
    await key_lifecycle(webhook_client)
    host = receiver.url.removeprefix("http://")
    url = f"http://hook-user:hook-pass-s3cret@{host}?token=t0ken-s3cret"

    sender = WebhookSender(url, SECRET, http)
    with server_logging(level="DEBUG") as logs:
        # The key's first event fails, and its later events wait behind it.
        assert await sender.deliver_due() == 0
        await WebhookEvent.all().update(next_attempt_at=datetime.now(UTC))
        assert await sender.deliver_due() == 3

    written = logs.getvalue()
    assert "s3cret" not in written
    assert "hook-user" not in written
    assert f"attempt 1 to http://{host}?… failed: HTTP 503" in written
    assert written.count(f"delivered to http://{host}?…") == 3


def test_a_url_is_logged_without_userinfo_query_or_fragment() -> None:
    assert redacted_url("https://u:p@hooks.example.com:8443/in?sig=x#frag") == (
        "https://hooks.example.com:8443/in?…#…"
    )
    assert redacted_url("https://[2001:db8::1]/in") == "https://[2001:db8::1]/in"
    assert redacted_url("http://[::1") == "(an unparsable URL)"


def test_a_refused_webhook_url_is_named_without_its_credentials() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.load(
            environ={"WEBHOOK_URL": "ftp://user:pa55word@hooks.example.com/in"}, env_file=None
        )

    assert "pa55word" not in str(refused.value)
    assert "WEBHOOK_URL" in str(refused.value)


async def test_several_senders_at_once_deliver_each_event_once(
    webhook_client: AsyncClient, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.start()
    token = await login(webhook_client, await make_user(roles=(Role.ADMIN,)))
    for number in range(8):
        await graphql(webhook_client, CREATE, {"name": f"key {number}"}, token=token)
    senders = [WebhookSender(receiver.url, SECRET, http) for _ in range(3)]

    delivered = await asyncio.gather(*(sender.deliver_due() for sender in senders))

    assert sum(delivered) == 8
    assert sorted(receiver.ids()) == sorted(
        await column(WebhookEvent.all().values_list("event_id", flat=True))
    )
    assert len(receiver.ids()) == 8


async def test_a_claimed_event_is_left_alone_until_its_lease_ends(
    webhook_client: AsyncClient, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.start()
    sender = WebhookSender(receiver.url, SECRET, http)
    with time_machine.travel(NOW, tick=False) as clock:
        token = await login(webhook_client, await make_user(roles=(Role.ADMIN,)))
        await graphql(webhook_client, CREATE, {"name": "claimed"}, token=token)
        # Another process claimed it and then died mid-delivery.
        await WebhookEvent.all().update(locked_until=NOW + timedelta(seconds=60))

        assert await sender.deliver_due() == 0
        clock.shift(timedelta(seconds=61))
        assert await sender.deliver_due() == 1

    assert len(receiver.ids()) == 1


async def test_no_event_for_a_refused_change(webhook_client: AsyncClient) -> None:
    token = await login(webhook_client, await make_user(roles=(Role.ADMIN,)))

    body = await graphql(webhook_client, CREATE, {"name": ""}, token=token)

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert await WebhookEvent.all().count() == 0


async def test_events_carry_no_secret_or_hash(webhook_client: AsyncClient) -> None:
    token = await login(webhook_client, await make_user(roles=(Role.ADMIN,)))
    created = await graphql(webhook_client, CREATE, {"name": "quiet"}, token=token)
    secret = created["data"]["createApiKey"]["secret"]
    stored = await ApiKey.get(name="quiet")

    payload = str((await WebhookEvent.get(type="key.created")).payload)

    assert secret not in payload
    assert stored.key_hash not in payload
    assert stored.masked_key in payload


async def test_no_events_are_written_while_webhooks_are_off(client: AsyncClient) -> None:
    await key_lifecycle(client)

    assert await WebhookEvent.all().count() == 0


async def test_deleting_a_user_announces_each_of_their_keys_revoked(
    webhook_client: AsyncClient, super_admin: User
) -> None:
    owner = await make_user(roles=(Role.ADMIN,))
    kept, _ = await make_api_key(owner, name="still active")
    already, _ = await make_api_key(owner, name="revoked before")
    await ApiKey.filter(id=already.id).update(revoked_at=NOW)
    token = await login(webhook_client, super_admin)

    body = await graphql(
        webhook_client,
        "mutation($id: ID!) { deleteUser(id: $id) }",
        {"id": gid(owner)},
        token=token,
    )

    assert "errors" not in body, body
    revoked = await column(
        WebhookEvent.filter(type="key.revoked").values_list("payload", flat=True)
    )
    assert [event["data"]["id"] for event in revoked] == [gid(kept)]


def test_the_documented_payload_is_exactly_what_the_server_sends() -> None:
    docs = (ROOT / "docs" / "api-keys.md").read_text()
    documented = docs.split("The body is", 1)[1].split("```json\n", 1)[1].split("\n```", 1)[0]
    rolled = datetime(2026, 6, 1, 12, 0, 0, 482913, tzinfo=UTC)
    # The documented key: number 42 of user number 7, rolled with an hour's grace period.
    key = ApiKey(
        id=42,
        name="deploy",
        key_prefix="gk_Ab12",
        key_last_four="wXyZ",
        scopes_encoded=",READ,",
        created_at=rolled - timedelta(days=30),
        rolled_at=rolled,
        previous_secret_expires_at=rolled + timedelta(hours=1),
    )
    key.created_by_id = 7
    with time_machine.travel(rolled, tick=False):
        event = new_event("key.rolled", key)

    assert event_body(event) == documented
