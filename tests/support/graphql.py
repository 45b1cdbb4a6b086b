"""A typed GraphQL client over the real ASGI app (or any httpx client): one way to send a
document, read its answer and sign in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from models import Role, User
from tests.support.documents import LOGIN
from tests.support.factories import PASSWORD, make_user


@dataclass(frozen=True)
class Result:
    """One GraphQL answer: the JSON body (a JSON edge, hence `Any` inside) and its status."""

    body: dict[str, Any]
    status: int

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.body.get("errors", [])
        return errors

    @property
    def codes(self) -> list[str]:
        return error_codes(self.body)

    @property
    def ok(self) -> bool:
        return "errors" not in self.body


class GraphQLClient:
    """`await gql.execute(DOCUMENT, variables, token=...)` against `/graphql`."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def execute(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Result:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=all_headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return Result(body=body, status=response.status_code)

    async def login(self, user: User, password: str = PASSWORD) -> str:
        """A session token for `user`, through the `login` mutation."""
        result = await self.execute(LOGIN, {"email": user.email, "password": password})
        assert result.ok, result.body
        token: str = result.data["login"]["token"]
        return token

    async def user_with_token(self, *roles: Role) -> tuple[User, str]:
        """A new user with these roles, signed in."""
        user = await make_user(roles=roles)
        return user, await self.login(user)


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The answer's JSON body, for tests that read it as the wire shows it."""
    result = await GraphQLClient(client).execute(query, variables, token=token, headers=headers)
    return result.body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def login(client: httpx.AsyncClient, user: User, password: str = PASSWORD) -> str:
    return await GraphQLClient(client).login(user, password)


async def token_for(client: httpx.AsyncClient, *roles: Role) -> tuple[User, str]:
    return await GraphQLClient(client).user_with_token(*roles)
