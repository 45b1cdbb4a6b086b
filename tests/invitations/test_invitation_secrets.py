"""An invitation's token is shown once (in the answer that made it) and sent once (in the
`user.invited` event): it is in no later answer, no audit event and no log line, at the
most talkative log level, in either format, with inline literals and with variables."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from auth.runtime import current
from auth.tokens import hash_secret
from core.config import ConfigError, InvitationSettings, Settings
from gatehouse.app import create_app
from gatehouse.webhooks import WebhookSender
from models import AuditEvent, User
from tests.support.database import SETTINGS
from tests.support.graphql import GraphQLClient
from tests.support.invitations import (
    INVITATION_NODE,
    INVITATIONS,
    NEW_PASSWORD,
    RESEND,
    REVOKE,
    accept,
    invite,
)
from tests.support.logging_capture import server_logging
from tests.support.webhook_receiver import SECRET, Receiver

AUDIT_LOG = "query { auditLog(first: 100) { edges { node { action outcome details } } } }"


@pytest.fixture
async def hooked(db: None) -> AsyncIterator[tuple[GraphQLClient, Receiver]]:
    receiver = Receiver()
    settings = replace(
        SETTINGS,
        webhook_url=receiver.url,
        invitation_url="https://portal.example.com/accept/{token}",
    )
    app = create_app(settings, manage_database=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield GraphQLClient(client), receiver
    finally:
        receiver.stop()
        current().outbox.enabled = False


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_no_token_reaches_an_answer_after_the_first_the_audit_log_or_a_log_line(
    hooked: tuple[GraphQLClient, Receiver], super_admin: User, log_format: str
) -> None:
    gql, receiver = hooked
    answers: list[str] = []
    with server_logging("DEBUG", log_format) as output:
        admin_token = await gql.login(super_admin)
        first_id, first_token = await invite(gql, admin_token, "first@example.com")
        resent = await gql.execute(RESEND, {"id": first_id}, token=admin_token)
        answers.append(json.dumps(resent.body))
        second_token = resent.data["resendInvitation"]["token"]
        other_id, other_token = await invite(gql, admin_token, "other@example.com")
        # A delivery that fails, then one that succeeds: both are logged.
        receiver.failures_left = 1
        receiver.start()
        async with httpx.AsyncClient(timeout=5) as http:
            sender = WebhookSender(receiver.url, SECRET, http)
            await sender.deliver_due()
            await sender.deliver_due()
        # Wrong, used and revoked tokens, inline in the document too.
        answers.append(json.dumps((await accept(gql, first_token)).body))
        answers.append(json.dumps((await accept(gql, second_token)).body))
        answers.append(json.dumps((await accept(gql, second_token)).body))
        inline = (
            f'mutation {{ acceptInvitation(token: "{other_token}", password: "x") {{ token }} }}'
        )
        answers.append(json.dumps((await gql.execute(inline)).body))
        await gql.execute(REVOKE, {"id": other_id}, token=admin_token)
        answers.append(json.dumps((await accept(gql, other_token, NEW_PASSWORD)).body))
        for document, variables in (
            (INVITATIONS, {}),
            (INVITATION_NODE, {"id": first_id}),
            (AUDIT_LOG, {}),
        ):
            answers.append(
                json.dumps((await gql.execute(document, variables, token=admin_token)).body)
            )

    written = output.getvalue()
    audit = json.dumps([(event.action, event.details) for event in await AuditEvent.all()])
    assert "invitation.accept" in audit
    assert "(user.invited) delivered to" in written
    for token in (first_token, second_token, other_token):
        assert token not in written
        assert token not in audit
        assert hash_secret(token) not in audit
    assert first_token not in "".join(answers)
    assert other_token not in "".join(answers)
    # The resend's own answer shows its new token once; nothing after it does.
    assert second_token not in "".join(answers[1:])
    # The first invitation's event failed and waits out its backoff: the acceptance dropped
    # it. The other one was delivered.
    assert [event["data"]["email"] for event in receiver.verified_events()] == [  # type: ignore[index]
        "other@example.com"
    ]
    assert "attempt 1 to" in written


def test_invitation_url_must_say_where_the_token_goes() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.load(environ={"INVITATION_URL": "https://portal.example.com/"}, env_file=None)

    assert "INVITATION_URL" in str(refused.value)
    assert "{token}" in str(refused.value)


def test_invitation_settings_are_read_from_the_environment() -> None:
    settings = Settings.load(
        environ={
            "INVITATION_TTL_HOURS": "24",
            "INVITATION_URL": "https://portal.example.com/accept?t={token}",
        },
        env_file=None,
    )

    assert settings.invitations.ttl_hours == 24
    assert settings.invitations.url_for("gi_a/b+c") == (
        "https://portal.example.com/accept?t=gi_a%2Fb%2Bc"
    )
    assert Settings.load(environ={}, env_file=None).invitations == InvitationSettings(72, None)
    with pytest.raises(ConfigError, match="INVITATION_TTL_HOURS"):
        Settings.load(environ={"INVITATION_TTL_HOURS": "0"}, env_file=None)
