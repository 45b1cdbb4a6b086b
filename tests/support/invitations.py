"""Invitations as the API shows them: the documents the invitation tests send, written once,
and a helper that invites someone and hands back the invitation's id and token."""

from __future__ import annotations

from typing import Any

from tests.support.graphql import GraphQLClient, Result

INVITE = """
mutation Invite($input: InviteUserInput!) {
  inviteUser(input: $input) {
    token
    invitation {
      id email displayName roles status createdAt expiresAt acceptedAt invitedBy { id }
    }
  }
}
"""
RESEND = """
mutation Resend($id: ID!) {
  resendInvitation(id: $id) { token invitation { id status expiresAt } }
}
"""
REVOKE = "mutation Revoke($id: ID!) { revokeInvitation(id: $id) }"
ACCEPT = """
mutation Accept($token: String!, $password: String!, $displayName: String) {
  acceptInvitation(token: $token, password: $password, displayName: $displayName) {
    token expiresAt user { id email displayName roles }
  }
}
"""
INVITATIONS = """
query Invitations(
  $first: Int, $after: String, $last: Int, $before: String, $status: InvitationStatus
) {
  invitations(first: $first, after: $after, last: $last, before: $before, status: $status) {
    totalCount
    edges { cursor node { id email status acceptedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
INVITATION_NODE = """
query Node($id: ID!) { node(id: $id) { id ... on Invitation { email status } } }
"""
ME = "query { me { id email displayName roles } }"
NEW_PASSWORD = "a passphrase of my own choosing"


async def invite(
    gql: GraphQLClient,
    token: str,
    email: str = "new.person@example.com",
    roles: tuple[str, ...] = ("ADMIN",),
    display_name: str = "New Person",
) -> tuple[str, str]:
    """(the invitation's global id, its token), invited by the holder of `token`."""
    result = await gql.execute(
        INVITE,
        {"input": {"email": email, "displayName": display_name, "roles": list(roles)}},
        token=token,
    )
    assert result.ok, result.body
    payload: dict[str, Any] = result.data["inviteUser"]
    return payload["invitation"]["id"], payload["token"]


async def accept(
    gql: GraphQLClient, token: str, password: str = NEW_PASSWORD, display_name: str | None = None
) -> Result:
    return await gql.execute(
        ACCEPT, {"token": token, "password": password, "displayName": display_name}
    )
