"""Verifying a service account's key names the account as its owner (type SERVICE_ACCOUNT),
after its maker is gone too; an inactive account's key is DISABLED, a deleted one's REVOKED;
and an account's own key with VERIFY may be the root key."""

from __future__ import annotations

import httpx

from auth import signals
from auth.principal import Principal
from auth.runtime import publish_change
from models import Role, Scope, ServiceAccount, User, UserStatus
from resolvers import service_accounts, users
from tests.support.factories import gid, make_api_key, make_service_account, make_user
from tests.support.graphql import GraphQLClient
from tests.support.verification import VERIFY_API_KEY, verdict


async def _verifier(super_admin: User) -> str:
    """A root key of an ADMIN service account: automation verifying keys outlives people."""
    account = await make_service_account(super_admin, roles=(Role.ADMIN,), name="gateway")
    return (await make_api_key(super_admin, scopes=(Scope.VERIFY,), service_account=account))[1]


async def _account_with_key(maker: User) -> tuple[ServiceAccount, str]:
    account = await make_service_account(maker, roles=(Role.READ_ONLY,), name="billing")
    _, secret = await make_api_key(maker, scopes=(Scope.READ,), service_account=account)
    return account, secret


async def test_an_accounts_key_is_verified_as_the_account(
    client: httpx.AsyncClient, super_admin: User
) -> None:
    root = await _verifier(super_admin)
    account, secret = await _account_with_key(super_admin)

    answer = await verdict(client, root, key=secret)

    assert (answer["valid"], answer["code"]) == (True, "VALID")
    assert answer["owner"] == {"type": "SERVICE_ACCOUNT", "id": gid(account), "name": "billing"}


async def test_verification_over_graphql_names_the_account(
    gql: GraphQLClient, super_admin: User
) -> None:
    account, secret = await _account_with_key(super_admin)
    token = await gql.login(super_admin)

    result = await gql.execute(VERIFY_API_KEY, {"input": {"key": secret}}, token=token)

    assert result.ok, result.body
    assert result.data["verifyApiKey"]["owner"] == {
        "type": "SERVICE_ACCOUNT",
        "id": gid(account),
        "name": "billing",
    }


async def test_the_key_verifies_after_its_maker_is_deleted(
    client: httpx.AsyncClient, super_admin: User
) -> None:
    root = await _verifier(super_admin)
    maker = await make_user(roles=(Role.SUPER_ADMIN,))
    account, secret = await _account_with_key(maker)
    await users.delete_user(Principal(user=super_admin), maker.id)

    answer = await verdict(client, root, key=secret)

    assert answer["code"] == "VALID"
    assert answer["owner"]["id"] == gid(account)


async def test_an_inactive_accounts_key_is_disabled_and_a_deleted_ones_revoked(
    client: httpx.AsyncClient, super_admin: User
) -> None:
    root = await _verifier(super_admin)
    account, secret = await _account_with_key(super_admin)
    actor = Principal(user=super_admin)

    await service_accounts.update_service_account(actor, account.id, status=UserStatus.INACTIVE)
    while_inactive = await verdict(client, root, key=secret)
    await service_accounts.delete_service_account(actor, account.id)
    # Announced as the mutation announces it: the verification cache drops the DISABLED
    # answer at once (auth.key_cache).
    publish_change(signals.SERVICE_ACCOUNT, account.id)
    once_deleted = await verdict(client, root, key=secret)

    assert (while_inactive["valid"], while_inactive["code"]) == (False, "DISABLED")
    assert (once_deleted["valid"], once_deleted["code"]) == (False, "REVOKED")
