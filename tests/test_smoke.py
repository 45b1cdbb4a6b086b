from httpx import AsyncClient

from models import User
from tests.conftest import graphql, login

ME = "query { me { email roles } }"


async def test_super_admin_can_sign_in_and_read_me(client: AsyncClient, super_admin: User) -> None:
    token = await login(client, super_admin)

    body = await graphql(client, ME, token=token)

    assert body["data"]["me"] == {"email": "root@example.com", "roles": ["SUPER_ADMIN"]}
