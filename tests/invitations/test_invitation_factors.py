"""Invitations beside second factors: inviting and resending need step-up like createUser,
and an accepted invitation's session starts with the restriction a password sign-in of
that user would have."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from core.clock import utcnow
from models import Invitation, Role, User
from tests.support.factories import pk
from tests.support.graphql import GraphQLClient
from tests.support.invitations import INVITE, ME, RESEND, invite
from tests.support.limiter import app_client
from tests.support.mfa import VERIFY_TOTP, enrolled_user, reason

LATER = timedelta(seconds=301)
STATE = """
mutation Accept($token: String!, $password: String!) {
  acceptInvitation(token: $token, password: $password) { token restriction mfaMethods }
}
"""
INPUT = {"input": {"email": "late@example.com", "displayName": "Late", "roles": ["ADMIN"]}}


async def test_inviting_and_resending_need_a_recent_second_factor(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql, Role.SUPER_ADMIN)
    invitation_id, _ = await invite(gql, enrolled.token)  # verified just now

    with time_machine.travel(utcnow() + LATER, tick=True):
        invited = await gql.execute(INVITE, INPUT, token=enrolled.token)
        resent = await gql.execute(RESEND, {"id": invitation_id}, token=enrolled.token)
        await gql.execute(VERIFY_TOTP, {"code": enrolled.app.code()}, token=enrolled.token)
        after_verifying = await gql.execute(INVITE, INPUT, token=enrolled.token)

    assert reason(invited.errors) == reason(resent.errors) == ["STEP_UP_REQUIRED"]
    assert invited.codes == resent.codes == ["FORBIDDEN"]
    assert after_verifying.ok, after_verifying.body
    assert await Invitation.filter(email="late@example.com").count() == 1
    first = await Invitation.get(id=pk(invitation_id))
    assert first.expires_at < utcnow() + timedelta(hours=72)  # the refused resend changed nothing


async def test_an_invited_role_that_must_enrol_starts_restricted(
    super_admin: User,
) -> None:
    async with app_client(mfa_required_roles=(Role.ADMIN,)) as client:
        gql = GraphQLClient(client)
        # The inviting super-admin's own role is not required to enrol here.
        _, token = await invite(gql, await gql.login(super_admin), roles=("ADMIN",))

        accepted = await gql.execute(
            STATE, {"token": token, "password": "a passphrase of my own choosing"}
        )
        payload = accepted.data["acceptInvitation"]
        me = await gql.execute(ME, token=payload["token"])
        invitations = await gql.execute("{ invitations { totalCount } }", token=payload["token"])

    assert payload["restriction"] == "MFA_ENROLLMENT_REQUIRED"
    assert payload["mfaMethods"] == []
    assert me.ok, me.body
    assert reason(invitations.errors) == ["MFA_ENROLLMENT_REQUIRED"]


async def test_without_required_roles_an_accepted_invitation_is_a_full_session(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin))

    accepted = await gql.execute(
        STATE, {"token": token, "password": "a passphrase of my own choosing"}
    )

    assert accepted.data["acceptInvitation"]["restriction"] is None
    assert accepted.data["acceptInvitation"]["mfaMethods"] == []
    listed = await gql.execute(ME, token=accepted.data["acceptInvitation"]["token"])
    assert listed.ok, listed.body
