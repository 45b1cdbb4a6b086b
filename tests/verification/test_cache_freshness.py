"""A verification answered from the key cache (auth.key_cache) never outlives a change made
through the API: the process that made it answers with the change at once, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from auth.runtime import current
from auth.tokens import hash_secret
from models import ApiKey, Role, Scope, ServiceAccount, User
from tests.support.documents import DELETE_API_KEY, REVOKE_KEY, UPDATE_USER
from tests.support.factories import gid, make_api_key, make_service_account, make_user
from tests.support.graphql import GraphQLClient
from tests.support.verification import (
    DISABLE_KEY,
    VERIFY_API_KEY,
    verdict,
    verify,
)
from tests.verification.conftest import Root

UPDATE_SERVICE_ACCOUNT = """mutation($id: ID!, $input: UpdateServiceAccountInput!) {
  updateServiceAccount(id: $id, input: $input) { id }
}"""


@dataclass(frozen=True)
class Verified:
    key: ApiKey
    secret: str
    owner: User | ServiceAccount


Change = Callable[[GraphQLClient, str, Verified], Awaitable[None]]


async def _mutate(gql: GraphQLClient, token: str, document: str, **variables: object) -> None:
    result = await gql.execute(document, variables, token=token)
    assert result.ok, result.body


async def _revoke(gql: GraphQLClient, token: str, verified: Verified) -> None:
    await _mutate(gql, token, REVOKE_KEY, id=gid(verified.key))


async def _disable(gql: GraphQLClient, token: str, verified: Verified) -> None:
    await _mutate(gql, token, DISABLE_KEY, id=gid(verified.key))


async def _delete(gql: GraphQLClient, token: str, verified: Verified) -> None:
    await _mutate(gql, token, DELETE_API_KEY, id=gid(verified.key))


async def _deactivate_owner(gql: GraphQLClient, token: str, verified: Verified) -> None:
    document = UPDATE_USER if isinstance(verified.owner, User) else UPDATE_SERVICE_ACCOUNT
    await _mutate(gql, token, document, id=gid(verified.owner), input={"status": "INACTIVE"})


CHANGES: list[tuple[str, Change, str]] = [
    ("user", _revoke, "REVOKED"),
    ("user", _disable, "DISABLED"),
    ("user", _delete, "NOT_FOUND"),
    ("user", _deactivate_owner, "DISABLED"),
    ("service_account", _revoke, "REVOKED"),
    ("service_account", _deactivate_owner, "DISABLED"),
]


async def _verified_key(kind: str) -> Verified:
    creator = await make_user(roles=(Role.SUPER_ADMIN,), email=f"{kind}-owner@example.com")
    if kind == "user":
        key, secret = await make_api_key(creator)
        return Verified(key, secret, creator)
    account = await make_service_account(creator)
    key, secret = await make_api_key(creator, service_account=account)
    return Verified(key, secret, account)


@pytest.mark.parametrize(
    ("kind", "change", "code"), CHANGES, ids=[f"{k}-{c.__name__[1:]}" for k, c, _ in CHANGES]
)
async def test_a_change_made_through_the_api_shows_in_the_next_verification(
    gql: GraphQLClient, root: Root, kind: str, change: Change, code: str
) -> None:
    verified = await _verified_key(kind)
    _, token = await gql.user_with_token(Role.SUPER_ADMIN)
    before = await verdict(gql.http, root.secret, key=verified.secret)
    cached = hash_secret(verified.secret) in current().key_cache

    await change(gql, token, verified)
    after = await verdict(gql.http, root.secret, key=verified.secret)

    assert before["code"] == "VALID"
    assert cached
    assert after["code"] == code


async def test_a_root_key_revoked_through_the_api_is_refused_at_once(
    gql: GraphQLClient, root: Root
) -> None:
    verified = await _verified_key("user")
    _, token = await gql.user_with_token(Role.SUPER_ADMIN)
    assert (await verdict(gql.http, root.secret, key=verified.secret))["code"] == "VALID"
    assert hash_secret(root.secret) in current().key_cache

    await _mutate(gql, token, REVOKE_KEY, id=gid(root.key))
    after = await verify(gql.http, root.secret, key=verified.secret)

    assert after.status_code == 401


async def test_a_root_keys_owner_demoted_through_the_api_is_refused_at_once(
    gql: GraphQLClient, root: Root
) -> None:
    verified = await _verified_key("user")
    _, token = await gql.user_with_token(Role.SUPER_ADMIN)
    assert (await verdict(gql.http, root.secret, key=verified.secret))["code"] == "VALID"

    await _mutate(gql, token, UPDATE_USER, id=gid(root.owner), input={"roles": ["READ_ONLY"]})
    after = await verify(gql.http, root.secret, key=verified.secret)

    assert after.status_code == 403


async def test_verify_api_key_answers_a_revocation_at_once(gql: GraphQLClient) -> None:
    verified = await _verified_key("user")
    verifier = await make_user(roles=(Role.ADMIN,), email="graphql-verifier@example.com")
    _, root_secret = await make_api_key(verifier, scopes=(Scope.VERIFY,), name="graphql root")
    _, token = await gql.user_with_token(Role.SUPER_ADMIN)

    async def code() -> str:
        result = await gql.execute(
            VERIFY_API_KEY, {"input": {"key": verified.secret}}, token=root_secret
        )
        assert result.ok, result.body
        answer: str = result.data["verifyApiKey"]["code"]
        return answer

    before = await code()
    # verifyApiKey's own signal ("calls counted") leaves the cache alone.
    kept = hash_secret(verified.secret) in current().key_cache
    await _revoke(gql, token, verified)
    after = await code()

    assert (before, after) == ("VALID", "REVOKED")
    assert kept
