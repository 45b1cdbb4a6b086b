"""Rolling and changing a service account's key: its owner is the account (so its own keys
may), and a super-admin may too; an admin never, nor a key of another account, nor the user
who happened to make it once they are no super-admin. Listing keys shows both kinds of owner
at a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tortoise.connection import get_connection

from models import ApiKey, Role, Scope, ServiceAccount, User
from tests.service_accounts.documents import KEYS_COUNT, LIST_KEYS_WITH_OWNERS, ROLL_KEY, UPDATE_KEY
from tests.support.factories import gid, make_api_key, make_service_account, make_user
from tests.support.graphql import GraphQLClient

READ_WRITE = (Scope.READ, Scope.WRITE)


async def _account_key(super_admin: User, **kwargs: Any) -> tuple[ServiceAccount, ApiKey, str]:
    account = await make_service_account(super_admin, roles=(Role.ADMIN,))
    api_key, secret = await make_api_key(super_admin, service_account=account, **kwargs)
    return account, api_key, secret


async def test_a_super_admin_rolls_and_changes_an_accounts_key(
    gql: GraphQLClient, super_admin: User
) -> None:
    other_super_admin = await make_user(roles=(Role.SUPER_ADMIN,))
    _, api_key, old_secret = await _account_key(super_admin)
    token = await gql.login(other_super_admin)  # not the key's maker

    rolled = await gql.execute(ROLL_KEY, {"id": gid(api_key)}, token=token)
    renamed = await gql.execute(UPDATE_KEY, {"id": gid(api_key), "name": "renamed"}, token=token)

    assert rolled.ok, rolled.body
    new_secret = rolled.data["rollKey"]["secret"]
    assert (await gql.execute(KEYS_COUNT, token=new_secret)).ok
    assert (await gql.execute(KEYS_COUNT, token=old_secret)).codes == ["UNAUTHENTICATED"]
    assert renamed.data == {"updateApiKey": {"name": "renamed"}}


async def test_an_admin_neither_rolls_nor_changes_an_accounts_key(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, api_key, secret = await _account_key(super_admin)
    _, token = await gql.user_with_token(Role.ADMIN)

    rolled = await gql.execute(ROLL_KEY, {"id": gid(api_key)}, token=token)
    renamed = await gql.execute(UPDATE_KEY, {"id": gid(api_key), "name": "mine"}, token=token)

    for result in (rolled, renamed):
        assert result.codes == ["FORBIDDEN"]
        assert result.errors[0]["extensions"]["reason"] == "NOT_KEY_OWNER"
    assert "gk_" not in str(rolled.body)
    row = await ApiKey.get(id=api_key.id)
    assert (row.name, row.key_hash, row.rolled_at) == (api_key.name, api_key.key_hash, None)
    assert (await gql.execute(KEYS_COUNT, token=secret)).ok


async def test_a_super_admins_key_without_the_keys_scopes_cannot_roll_it(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, api_key, _ = await _account_key(super_admin, scopes=READ_WRITE)
    _, write_only = await make_api_key(super_admin, scopes=(Scope.WRITE,))

    rolled = await gql.execute(ROLL_KEY, {"id": gid(api_key)}, token=write_only)

    assert rolled.codes == ["FORBIDDEN"]
    assert rolled.errors[0]["extensions"]["reason"] == "KEY_SCOPE_EXCEEDED"


async def test_an_accounts_key_rolls_its_accounts_keys_only(
    gql: GraphQLClient, super_admin: User
) -> None:
    account, sibling, _ = await _account_key(super_admin, scopes=(Scope.READ,), name="sibling")
    _, caller_secret = await make_api_key(
        super_admin, scopes=READ_WRITE, service_account=account, name="caller"
    )
    _, stranger, _ = await _account_key(super_admin, scopes=(Scope.READ,), name="stranger")
    users_key, _ = await make_api_key(super_admin, scopes=(Scope.READ,), name="user's")

    own = await gql.execute(ROLL_KEY, {"id": gid(sibling)}, token=caller_secret)
    refused = [
        await gql.execute(ROLL_KEY, {"id": gid(key)}, token=caller_secret)
        for key in (stranger, users_key)
    ]

    assert own.ok, own.body
    assert [result.errors[0]["extensions"]["reason"] for result in refused] == [
        "NOT_KEY_OWNER",
        "NOT_KEY_OWNER",
    ]


async def test_the_accounts_maker_gets_no_say_over_its_keys_once_demoted(
    gql: GraphQLClient, super_admin: User
) -> None:
    maker = await make_user(roles=(Role.SUPER_ADMIN,))
    _, api_key, _ = await _account_key(maker)
    maker.roles_encoded = ",ADMIN,"
    await maker.save(update_fields=["roles_encoded"])
    token = await gql.login(maker)

    rolled = await gql.execute(ROLL_KEY, {"id": gid(api_key)}, token=token)
    renamed = await gql.execute(UPDATE_KEY, {"id": gid(api_key), "name": "mine"}, token=token)

    assert rolled.codes == ["FORBIDDEN"]
    assert renamed.codes == ["FORBIDDEN"]


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    connection = get_connection("default")
    statements: list[str] = []
    original = connection.execute_query

    async def counted(query: str, *args: Any) -> Any:
        statements.append(query)
        return await original(query, *args)

    connection.execute_query = counted  # type: ignore[method-assign,assignment]
    try:
        yield statements
    finally:
        del connection.execute_query


async def _keys_of_both_kinds(super_admin: User, count: int) -> None:
    users = [await make_user(roles=(Role.ADMIN,)) for _ in range(3)]
    accounts = [await make_service_account(super_admin) for _ in range(3)]
    for number in range(count):
        if number % 2:
            await make_api_key(users[number % 3], name=f"user key {number}")
        else:
            await make_api_key(
                super_admin, name=f"account key {number}", service_account=accounts[number % 3]
            )


async def test_listing_keys_resolves_both_owners_at_a_fixed_number_of_queries(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    await _keys_of_both_kinds(super_admin, 6)
    with counting_queries() as few_keys:
        few = await gql.execute(LIST_KEYS_WITH_OWNERS, token=token)
    await ApiKey.all().delete()
    await _keys_of_both_kinds(super_admin, 60)

    with counting_queries() as many_keys:
        many = await gql.execute(LIST_KEYS_WITH_OWNERS, token=token)

    assert few.ok, few.body
    nodes = many.data["apiKeys"]["nodes"]
    assert len(nodes) == 60
    kinds = {node["owner"]["__typename"] for node in nodes}
    assert kinds == {"User", "ServiceAccount"}
    for node in nodes:
        if node["name"].startswith("user key"):
            assert node["owner"] == {"__typename": "User", **node["createdBy"]}
        else:
            assert node["createdBy"] == {"email": super_admin.email}
    assert len(many_keys) == len(few_keys)
