"""Passkeys among the second factors: PASSKEY in mfaMethods, a password sign-in restricted
until verifyMfa(passkey:), enrolment by passkey, step-up for removing one, resetMfa, and a
passwordless session that still has to change a temporary password."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.clock import utcnow
from models import Passkey, RecoveryCode, Role, Session, User
from tests.support.authenticator import SoftwareAuthenticator
from tests.support.factories import gid
from tests.support.graphql import GraphQLClient
from tests.support.limiter import app_client
from tests.support.mfa import MY_METHODS, RESET_MFA, enrolled_user, reason, sign_in

BEGIN_REGISTRATION = "mutation { beginPasskeyRegistration }"
FINISH_REGISTRATION = """
mutation($name: String!, $credential: JSON!) {
  finishPasskeyRegistration(name: $name, credential: $credential) { id }
}
"""
BEGIN_LOGIN = "mutation { beginPasskeyLogin }"
VERIFY_PASSKEY = """
mutation Verify($passkey: JSON!) {
  verifyMfa(passkey: $passkey) { token restriction mfaMethods }
}
"""
PASSKEY_LOGIN = """
mutation($credential: JSON!) {
  passkeyLogin(credential: $credential) { token restriction mfaMethods }
}
"""
REMOVE = "mutation($id: ID!) { removePasskey(id: $id) }"


async def _register(
    gql: GraphQLClient, token: str, authenticator: SoftwareAuthenticator
) -> dict[str, Any]:
    options = await gql.execute(BEGIN_REGISTRATION, token=token)
    assert options.ok, options.body
    credential = authenticator.make_credential(options.data["beginPasskeyRegistration"])
    result = await gql.execute(
        FINISH_REGISTRATION, {"name": "Key", "credential": credential}, token=token
    )
    assert result.ok, result.body
    passkey: dict[str, Any] = result.data["finishPasskeyRegistration"]
    return passkey


async def _user_with_passkey(
    gql: GraphQLClient, role: Role = Role.ADMIN
) -> tuple[User, SoftwareAuthenticator, dict[str, Any]]:
    user, token = await gql.user_with_token(role)
    authenticator = SoftwareAuthenticator()
    return user, authenticator, await _register(gql, token, authenticator)


async def test_a_passkey_is_a_second_factor_that_verify_mfa_accepts(gql: GraphQLClient) -> None:
    user, authenticator, _ = await _user_with_passkey(gql)

    signed_in = await sign_in(gql, user)
    token = str(signed_in["token"])
    assert signed_in["restriction"] == "MFA_REQUIRED"
    assert signed_in["mfaMethods"] == ["PASSKEY"]
    refused = await gql.execute(MY_METHODS, token=token)
    assert refused.codes == ["UNAUTHENTICATED"]
    # The restricted session may ask for options: bound to it, its user's passkeys allowed.
    options = await gql.execute(BEGIN_LOGIN, token=token)
    assert options.ok, options.body
    assert len(options.data["beginPasskeyLogin"]["allowCredentials"]) == 1

    authenticator.user_verifying = False  # the password was the first factor
    verified = await gql.execute(
        VERIFY_PASSKEY,
        {"passkey": authenticator.get_assertion(options.data["beginPasskeyLogin"])},
        token=token,
    )

    assert verified.ok, verified.body
    assert verified.data["verifyMfa"]["restriction"] is None
    assert (await gql.execute(MY_METHODS, token=token)).data["me"]["mfaMethods"] == ["PASSKEY"]


async def test_a_wrong_passkey_leaves_the_session_restricted(gql: GraphQLClient) -> None:
    user, _authenticator, _ = await _user_with_passkey(gql)
    token = str((await sign_in(gql, user))["token"])
    options = (await gql.execute(BEGIN_LOGIN, token=token)).data["beginPasskeyLogin"]

    stranger = SoftwareAuthenticator()
    result = await gql.execute(
        VERIFY_PASSKEY, {"passkey": stranger.get_assertion(options)}, token=token
    )

    assert result.codes == ["FORBIDDEN"]
    assert reason(result.errors) == ["PASSKEY_REFUSED"]
    assert (await gql.execute(MY_METHODS, token=token)).codes == ["UNAUTHENTICATED"]


async def test_registering_a_passkey_is_enrolling_a_factor(db: None) -> None:
    async with app_client(mfa_required_roles=(Role.ADMIN,)) as client:
        gql = GraphQLClient(client)
        user, token = await gql.user_with_token(Role.ADMIN)
        assert (await sign_in(gql, user))["restriction"] == "MFA_ENROLLMENT_REQUIRED"
        assert (await gql.execute("{ keyMetrics { totalKeys } }", token=token)).codes == [
            "FORBIDDEN"
        ]

        await _register(gql, token, SoftwareAuthenticator())

        after = await gql.execute("{ keyMetrics { totalKeys } }", token=token)
        assert after.ok, after.body


async def test_removing_a_passkey_needs_a_recent_factor(gql: GraphQLClient) -> None:
    user, authenticator, passkey = await _user_with_passkey(gql)
    signed_in = await gql.execute(
        PASSKEY_LOGIN,
        {
            "credential": authenticator.get_assertion(
                (await gql.execute(BEGIN_LOGIN)).data["beginPasskeyLogin"]
            )
        },
    )
    token = signed_in.data["passkeyLogin"]["token"]
    await Session.filter(user_id=user.id).update(mfa_verified_at=utcnow() - timedelta(hours=1))

    stale = await gql.execute(REMOVE, {"id": passkey["id"]}, token=token)
    assert stale.codes == ["FORBIDDEN"]
    assert reason(stale.errors) == ["STEP_UP_REQUIRED"]

    options = (await gql.execute(BEGIN_LOGIN, token=token)).data["beginPasskeyLogin"]
    stepped = await gql.execute(
        VERIFY_PASSKEY, {"passkey": authenticator.get_assertion(options)}, token=token
    )
    assert stepped.ok, stepped.body
    removed = await gql.execute(REMOVE, {"id": passkey["id"]}, token=token)
    assert removed.data == {"removePasskey": True}


async def test_removing_the_last_factor_takes_the_recovery_codes(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql, Role.ADMIN)
    passkey = await _register(gql, enrolled.token, SoftwareAuthenticator())
    await gql.execute("mutation { disableTotp }", token=enrolled.token)
    assert await RecoveryCode.filter(user_id=enrolled.user.id).exists()

    removed = await gql.execute(REMOVE, {"id": passkey["id"]}, token=enrolled.token)

    assert removed.data == {"removePasskey": True}
    assert not await RecoveryCode.filter(user_id=enrolled.user.id).exists()


async def test_reset_mfa_removes_passkeys(gql: GraphQLClient, super_admin: User) -> None:
    user, _, _ = await _user_with_passkey(gql)
    boss_token = await gql.login(super_admin)

    result = await gql.execute(RESET_MFA, {"userId": gid(user)}, token=boss_token)

    assert result.ok, result.body
    assert not await Passkey.filter(user_id=user.id).exists()
    assert (await sign_in(gql, user))["restriction"] is None


async def test_a_passwordless_sign_in_still_asks_for_a_temporary_password_to_change(
    gql: GraphQLClient,
) -> None:
    user, authenticator, _ = await _user_with_passkey(gql)
    await User.filter(id=user.id).update(must_change_password=True)
    options = (await gql.execute(BEGIN_LOGIN)).data["beginPasskeyLogin"]

    result = await gql.execute(PASSKEY_LOGIN, {"credential": authenticator.get_assertion(options)})

    assert result.ok, result.body
    assert result.data["passkeyLogin"]["restriction"] == "PASSWORD_CHANGE_REQUIRED"
    assert result.data["passkeyLogin"]["mfaMethods"] == ["PASSKEY"]
