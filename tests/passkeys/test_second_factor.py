"""A passkey as the second factor of a password sign-in: `auth.passkeys.verify_passkey_for`,
which verifyMfa's `passkey` calls, accepts only the signed-in user's own passkey over a
challenge from beginPasskeyLogin."""

from __future__ import annotations

from typing import Any

import pytest

from auth.passkeys import PasskeyRefused, delete_passkeys_of, has_passkeys, verify_passkey_for
from models import Passkey, Role, User
from tests.support.authenticator import SoftwareAuthenticator
from tests.support.graphql import GraphQLClient

BEGIN_REGISTRATION = "mutation { beginPasskeyRegistration }"
FINISH_REGISTRATION = """
mutation($name: String!, $credential: JSON!) {
  finishPasskeyRegistration(name: $name, credential: $credential) { id }
}
"""
BEGIN_LOGIN = "mutation { beginPasskeyLogin }"


async def _user_with_passkey(gql: GraphQLClient) -> tuple[User, str, SoftwareAuthenticator]:
    user, token = await gql.user_with_token(Role.ADMIN)
    authenticator = SoftwareAuthenticator()
    options = (await gql.execute(BEGIN_REGISTRATION, token=token)).data["beginPasskeyRegistration"]
    credential = authenticator.make_credential(options)
    result = await gql.execute(
        FINISH_REGISTRATION, {"name": "Key", "credential": credential}, token=token
    )
    assert result.ok, result.body
    return user, token, authenticator


async def _options(gql: GraphQLClient, token: str | None) -> dict[str, Any]:
    result = await gql.execute(BEGIN_LOGIN, token=token)
    assert result.ok, result.body
    options: dict[str, Any] = result.data["beginPasskeyLogin"]
    return options


async def test_the_users_own_passkey_is_a_second_factor(gql: GraphQLClient) -> None:
    user, token, authenticator = await _user_with_passkey(gql)
    options = await _options(gql, token)
    assert options["userVerification"] == "preferred"
    # Without user verification it is still the second factor (the password was the first).
    authenticator.user_verifying = False

    passkey = await verify_passkey_for(user, authenticator.get_assertion(options))

    assert passkey.user_id == user.id
    assert (await Passkey.get(id=passkey.id)).last_used_at is not None
    assert await has_passkeys(user.id)


async def test_an_anonymous_challenge_serves_a_second_factor_too(gql: GraphQLClient) -> None:
    user, _token, authenticator = await _user_with_passkey(gql)
    options = await _options(gql, None)

    passkey = await verify_passkey_for(user, authenticator.get_assertion(options))

    assert passkey.user_id == user.id


async def test_another_users_passkey_is_no_second_factor(gql: GraphQLClient) -> None:
    _owner, _token, authenticator = await _user_with_passkey(gql)
    other, other_token = await gql.user_with_token(Role.ADMIN)
    options = await _options(gql, other_token)

    with pytest.raises(PasskeyRefused) as refused:
        await verify_passkey_for(other, authenticator.get_assertion(options))

    assert refused.value.why == "another_users_passkey"
    assert refused.value.graphql_extensions() == {
        "code": "UNAUTHENTICATED",
        "reason": "PASSKEY_REFUSED",
    }


async def test_a_challenge_bound_to_another_user_is_refused(gql: GraphQLClient) -> None:
    owner, _token, authenticator = await _user_with_passkey(gql)
    _other, other_token = await gql.user_with_token(Role.ADMIN)
    options = await _options(gql, other_token)

    with pytest.raises(PasskeyRefused) as refused:
        await verify_passkey_for(owner, authenticator.get_assertion(options))

    assert refused.value.why == "unknown_challenge"


async def test_a_reset_deletes_every_passkey(gql: GraphQLClient) -> None:
    user, _token, _ = await _user_with_passkey(gql)

    assert await delete_passkeys_of(user.id) == 1

    assert not await has_passkeys(user.id)
