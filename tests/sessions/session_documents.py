"""The operations of the session tests, written once, and small helpers over them."""

from __future__ import annotations

from typing import Any

from auth.tokens import hash_secret
from models import Session
from schema.ids import SESSION, global_id
from tests.support.graphql import GraphQLClient

SESSION_FIELDS = "id createdAt lastSeenAt expiresAt clientAddress userAgent current mfa"
MY_SESSIONS = f"query MySessions {{ mySessions {{ {SESSION_FIELDS} }} }}"
ME_SESSIONS = "query MeSessions { me { id sessions { id current } } }"
USER_SESSIONS = "query UserSessions($id: ID!) { user(id: $id) { id sessions { id current } } }"
USERS_SESSIONS = "query UsersSessions { users(first: 50) { nodes { id sessions { id } } } }"
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Session { current userAgent } } }"
END_SESSION = "mutation EndSession($id: ID!) { endSession(id: $id) }"
END_OTHER_SESSIONS = "mutation EndOtherSessions { endOtherSessions }"
ME = "query Me { me { id } }"
LOGIN_AS = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}
"""


def sid(session: Session) -> str:
    return str(global_id(SESSION, session.id))


async def sign_in(
    gql: GraphQLClient, email: str, password: str, user_agent: str | None = None
) -> str:
    headers = {} if user_agent is None else {"User-Agent": user_agent}
    result = await gql.execute(LOGIN_AS, {"email": email, "password": password}, headers=headers)
    assert result.ok, result.body
    token: str = result.data["login"]["token"]
    return token


async def my_sessions(gql: GraphQLClient, token: str) -> list[dict[str, Any]]:
    result = await gql.execute(MY_SESSIONS, token=token)
    assert result.ok, result.body
    sessions: list[dict[str, Any]] = result.data["mySessions"]
    return sessions


async def session_of(token: str) -> Session:
    """The row behind a session token."""
    return await Session.get(token_hash=hash_secret(token))
