"""Who may invite: "as createUser". Every weaker credential — ADMIN and READ_ONLY sessions,
keys of each scope, an ADMIN's key with every scope — tries each invitation operation and
is refused; acceptance is for people, anonymous, also in production, and throttled."""

from __future__ import annotations

from typing import Any

import pytest

from auth.principal import Principal
from core.config import InvitationSettings
from core.enums import Role, Scope
from core.errors import ErrorCode, GatehouseError
from models import AuditEvent, Invitation, User
from resolvers import invitations
from tests.support.factories import make_api_key, make_user, pk
from tests.support.graphql import GraphQLClient
from tests.support.invitations import (
    INVITATION_NODE,
    INVITATIONS,
    INVITE,
    RESEND,
    REVOKE,
    accept,
    invite,
)
from tests.support.limiter import app_client

INVITE_INPUT = {"input": {"email": "x@example.com", "displayName": "X", "roles": ["READ_ONLY"]}}
OPERATIONS = ["invite", "resend", "revoke", "list", "node"]


async def _attempt(gql: GraphQLClient, operation: str, invitation_id: str, token: str) -> Any:
    documents: dict[str, tuple[str, dict[str, Any]]] = {
        "invite": (INVITE, INVITE_INPUT),
        "resend": (RESEND, {"id": invitation_id}),
        "revoke": (REVOKE, {"id": invitation_id}),
        "list": (INVITATIONS, {}),
        "node": (INVITATION_NODE, {"id": invitation_id}),
    }
    document, variables = documents[operation]
    return await gql.execute(document, variables, token=token)


async def _weaker_credential(kind: str, super_admin: User) -> str:
    if kind in ("ADMIN", "READ_ONLY"):
        user = await make_user(roles=(Role(kind),))
        return user.email
    owner = super_admin if kind.startswith("super-admin") else await make_user(roles=(Role.ADMIN,))
    scopes = {
        "super-admin READ key": (Scope.READ,),
        "super-admin WRITE key": (Scope.WRITE,),
        "super-admin VERIFY key": (Scope.VERIFY,),
        "admin key with every scope": tuple(Scope),
    }[kind]
    _, secret = await make_api_key(owner, scopes=scopes)
    return secret


KINDS = [
    "ADMIN",
    "READ_ONLY",
    "super-admin READ key",
    "super-admin WRITE key",
    "super-admin VERIFY key",
    "admin key with every scope",
]
# A super-admin's READ key may read invitations (as it may read the audit log): it is
# refused only the changes.
WEAKER = [
    (kind, operation)
    for kind in KINDS
    for operation in OPERATIONS
    if not (kind == "super-admin READ key" and operation in ("list", "node"))
]


@pytest.mark.parametrize(("kind", "operation"), WEAKER)
async def test_weaker_credentials_are_refused_every_invitation_operation(
    gql: GraphQLClient, super_admin: User, kind: str, operation: str
) -> None:
    invitation_id, _ = await invite(gql, await gql.login(super_admin))
    credential = await _weaker_credential(kind, super_admin)
    if "@" in credential:
        credential = await gql.login(await User.get(email=credential))

    result = await _attempt(gql, operation, invitation_id, credential)

    assert result.codes == ["FORBIDDEN"]
    invitation = await Invitation.get(id=pk(invitation_id))
    assert invitation.revoked_at is None
    assert await Invitation.all().count() == 1


async def test_a_super_admins_admin_key_may_invite_as_it_may_create_users(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, secret = await make_api_key(super_admin, scopes=(Scope.ADMIN,))
    _, reader = await make_api_key(super_admin, scopes=(Scope.READ,))

    invited = await gql.execute(INVITE, INVITE_INPUT, token=secret)
    listed = await gql.execute(INVITATIONS, {}, token=reader)

    assert invited.ok, invited.body
    assert listed.data["invitations"]["totalCount"] == 1


async def test_an_admin_may_never_grant_super_admin_through_an_invitation(db: None) -> None:
    # The schema already refuses ADMIN; the domain's role ceiling (shared with updateUser)
    # stands behind it for any caller that reaches the function.
    admin = await make_user(roles=(Role.ADMIN,))

    with pytest.raises(GatehouseError) as refused:
        await invitations.invite_user(
            Principal(user=admin),
            email="boss@example.com",
            display_name="Boss",
            roles=[Role.SUPER_ADMIN],
            settings=InvitationSettings(ttl_hours=72, url_template=None),
        )

    assert refused.value.code == ErrorCode.FORBIDDEN
    assert not await Invitation.exists()
    event = await AuditEvent.get(action="invitation.create")
    assert (event.outcome, event.actor_id) == ("FORBIDDEN", admin.id)


async def test_an_admin_session_inviting_a_super_admin_is_forbidden_and_audited(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin, token = await gql.user_with_token(Role.ADMIN)
    variables = {
        "input": {"email": "boss@example.com", "displayName": "B", "roles": ["SUPER_ADMIN"]}
    }

    result = await gql.execute(INVITE, variables, token=token)

    assert result.codes == ["FORBIDDEN"]
    event = await AuditEvent.get(action="invitation.create")
    assert (event.outcome, event.actor_id, event.target_id) == ("FORBIDDEN", admin.id, None)


async def test_an_api_key_cannot_accept_an_invitation(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin))
    _, secret = await make_api_key(super_admin, scopes=(Scope.READ, Scope.WRITE, Scope.ADMIN))

    result = await gql.http.post(
        "/graphql",
        json={
            "query": "mutation($t: String!) { acceptInvitation(token: $t, "
            'password: "a passphrase of my own") { token } }',
            "variables": {"t": token},
        },
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert [e["extensions"]["code"] for e in result.json()["errors"]] == ["FORBIDDEN"]
    assert (await accept(gql, token)).ok  # still pending


async def test_anonymous_callers_may_accept_in_production_but_nothing_else(
    super_admin: User,
) -> None:
    async with app_client(environment="production") as client:
        gql = GraphQLClient(client)
        _, token = await invite(gql, await gql.login(super_admin))

        accepted = await accept(gql, token)
        listed = await gql.execute(INVITATIONS, {})
        mixed = await gql.execute(
            'mutation($t: String!) { acceptInvitation(token: $t, password: "x") { token } '
            'revokeInvitation(id: "x") }',
            {"t": token},
        )

    assert accepted.ok, accepted.body
    assert listed.codes == ["UNAUTHENTICATED"]
    assert mixed.codes == ["UNAUTHENTICATED"]


async def test_one_request_may_try_one_token_only(gql: GraphQLClient) -> None:
    document = (
        'mutation { a: acceptInvitation(token: "gi_a", password: "a passphrase 123") { token } '
        'b: acceptInvitation(token: "gi_b", password: "a passphrase 123") { token } }'
    )

    result = await gql.execute(document)

    assert result.codes == ["BAD_USER_INPUT"]
    assert not await AuditEvent.exists(action="invitation.accept")


async def test_wrong_tokens_are_throttled_per_address_like_sign_in_failures(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin))

    async with app_client("192.0.2.7", login_max_failures_per_address=3) as client:
        guesser = GraphQLClient(client)
        failures = [(await accept(guesser, f"gi_{n:043d}")).codes for n in range(3)]
        locked = await accept(guesser, token)
    async with app_client("192.0.2.8", login_max_failures_per_address=3) as client:
        elsewhere = await accept(GraphQLClient(client), token)

    assert failures == [["UNAUTHENTICATED"]] * 3
    assert locked.codes == ["RATE_LIMITED"]
    assert locked.errors[0]["extensions"]["retryAfter"] >= 1
    assert elsewhere.ok, elsewhere.body
    throttled = await AuditEvent.get(action="invitation.accept", outcome="RATE_LIMITED")
    assert throttled.client_address == "192.0.2.7"
    assert token not in str(throttled.details)
