"""The `user.invited` webhook event: what the portal's mailer gets (the token and the link
built from INVITATION_URL), sent again on resend, dropped once its token stops working, and
blanked in the outbox once delivered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from auth.runtime import current
from gatehouse.app import create_app
from gatehouse.webhooks import WebhookSender
from models import User, WebhookEvent
from tests.support.database import SETTINGS
from tests.support.factories import gid
from tests.support.graphql import GraphQLClient
from tests.support.invitations import RESEND, REVOKE, accept, invite
from tests.support.paths import ROOT
from tests.support.webhook_receiver import SECRET, Receiver

TEMPLATE = "https://portal.example.com/welcome?invitation={token}&from=mail"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def hooked_client(receiver: Receiver, **settings: Any) -> AsyncIterator[GraphQLClient]:
    app = create_app(replace(SETTINGS, webhook_url=receiver.url, **settings), manage_database=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield GraphQLClient(client)
    finally:
        current().outbox.enabled = False  # as the other tests' app has it


@pytest.fixture
async def hooked(db: None, receiver: Receiver) -> AsyncIterator[GraphQLClient]:
    async for client in hooked_client(receiver, invitation_url=TEMPLATE):
        yield client


@pytest.fixture
async def hooked_without_url(db: None, receiver: Receiver) -> AsyncIterator[GraphQLClient]:
    async for client in hooked_client(receiver):
        yield client


async def test_the_event_carries_the_invitation_the_token_and_the_link(
    hooked: GraphQLClient, super_admin: User, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.start()
    invitation_id, token = await invite(hooked, await hooked.login(super_admin))

    assert await WebhookSender(receiver.url, SECRET, http).deliver_due() == 1

    [event] = receiver.verified_events()
    assert event["type"] == "user.invited"
    data: dict[str, Any] = event["data"]  # type: ignore[assignment]
    expires_at = data.pop("expiresAt")
    assert data == {
        "id": invitation_id,
        "email": "new.person@example.com",
        "displayName": "New Person",
        "roles": ["ADMIN"],
        "invitedBy": gid(super_admin),
        "url": TEMPLATE.replace("{token}", quote(token, safe="")),
        "token": token,
    }
    assert isinstance(expires_at, str)
    # The link's token is the one that works.
    assert (await accept(hooked, data["token"])).ok


async def test_the_body_has_the_shape_docs_invitations_shows(
    hooked: GraphQLClient, super_admin: User, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.start()
    await invite(hooked, await hooked.login(super_admin))
    await WebhookSender(receiver.url, SECRET, http).deliver_due()

    [(_, body)] = receiver.received
    documented = next(
        line
        for line in (ROOT / "docs" / "invitations.md").read_text().splitlines()
        if line.startswith('{"type":"user.invited"')
    )
    sent, shown = json.loads(body), json.loads(documented)
    # The same fields; their order is the database's (PostgreSQL's jsonb keeps its own).
    assert set(sent) == set(shown)
    assert set(sent["data"]) == set(shown["data"])
    # One line of compact JSON, as documented.
    assert body.decode() == json.dumps(sent, separators=(",", ":"))


async def test_once_delivered_the_stored_event_keeps_no_token(
    hooked: GraphQLClient, super_admin: User, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.start()
    _, token = await invite(hooked, await hooked.login(super_admin))
    stored = await WebhookEvent.get(type="user.invited")
    assert stored.payload["data"]["token"] == token  # kept while it may still need sending

    await WebhookSender(receiver.url, SECRET, http).deliver_due()

    delivered = await WebhookEvent.get(id=stored.id)
    assert delivered.delivered_at is not None
    assert delivered.payload["data"]["token"] is None
    assert delivered.payload["data"]["url"] is None
    assert delivered.payload["data"]["email"] == "new.person@example.com"
    assert token not in str(delivered.payload)


async def test_without_invitation_url_the_event_has_the_token_and_no_link(
    hooked_without_url: GraphQLClient,
    super_admin: User,
    receiver: Receiver,
    http: httpx.AsyncClient,
) -> None:
    receiver.start()
    _, token = await invite(hooked_without_url, await hooked_without_url.login(super_admin))

    await WebhookSender(receiver.url, SECRET, http).deliver_due()

    [event] = receiver.verified_events()
    assert event["data"]["token"] == token  # type: ignore[index]
    assert event["data"]["url"] is None  # type: ignore[index]


async def test_a_resend_sends_the_new_token_and_drops_the_old_undelivered_one(
    hooked: GraphQLClient, super_admin: User, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    admin_token = await hooked.login(super_admin)
    invitation_id, old_token = await invite(hooked, admin_token)
    # The receiver is down meanwhile: the first event is still in the outbox.
    resent = await hooked.execute(RESEND, {"id": invitation_id}, token=admin_token)
    new_token = resent.data["resendInvitation"]["token"]
    receiver.start()

    assert await WebhookSender(receiver.url, SECRET, http).deliver_due() == 1

    [event] = receiver.verified_events()
    assert event["data"]["token"] == new_token  # type: ignore[index]
    assert old_token not in str(await WebhookEvent.all().values("payload"))


async def test_a_resend_after_delivery_sends_the_event_again(
    hooked: GraphQLClient, super_admin: User, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.start()
    sender = WebhookSender(receiver.url, SECRET, http)
    admin_token = await hooked.login(super_admin)
    invitation_id, first = await invite(hooked, admin_token)
    await sender.deliver_due()

    resent = await hooked.execute(RESEND, {"id": invitation_id}, token=admin_token)
    await sender.deliver_due()

    tokens = [event["data"]["token"] for event in receiver.verified_events()]  # type: ignore[index]
    assert tokens == [first, resent.data["resendInvitation"]["token"]]


async def test_revoking_or_accepting_drops_the_undelivered_event(
    hooked: GraphQLClient, super_admin: User, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    admin_token = await hooked.login(super_admin)
    revoked_id, _ = await invite(hooked, admin_token, "revoked@example.com")
    _, accepted_token = await invite(hooked, admin_token, "accepted@example.com")
    assert await WebhookEvent.filter(type="user.invited").count() == 2

    await hooked.execute(REVOKE, {"id": revoked_id}, token=admin_token)
    assert (await accept(hooked, accepted_token)).ok

    assert not await WebhookEvent.exists(type="user.invited")
