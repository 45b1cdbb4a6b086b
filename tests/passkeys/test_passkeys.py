"""Passkeys end to end over the real ASGI app, with a software authenticator built from the
WebAuthn spec: registration, passwordless sign-in, and every tampered, replayed, cloned or
foreign answer refused alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from auth.audit import AuditAction
from models import AuditEvent, Passkey, Role, Session, User, UserStatus
from tests.support.authenticator import SoftwareAuthenticator, b64, unb64
from tests.support.factories import gid, make_api_key
from tests.support.graphql import GraphQLClient
from tests.support.logging_capture import server_logging

BEGIN_REGISTRATION = "mutation { beginPasskeyRegistration }"
FINISH_REGISTRATION = """
mutation Finish($name: String!, $credential: JSON!) {
  finishPasskeyRegistration(name: $name, credential: $credential) {
    id name createdAt lastUsedAt
  }
}
"""
BEGIN_LOGIN = "mutation Begin($email: String) { beginPasskeyLogin(email: $email) }"
PASSKEY_LOGIN = """
mutation PasskeyLogin($credential: JSON!) {
  passkeyLogin(credential: $credential) { token expiresAt user { id email } }
}
"""
MY_PASSKEYS = "{ me { passkeys { id name createdAt lastUsedAt } } }"
USER_PASSKEYS = "query($id: ID!) { user(id: $id) { email passkeys { id } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Passkey { name } } }"
REMOVE = "mutation($id: ID!) { removePasskey(id: $id) }"


async def _register(
    gql: GraphQLClient, token: str, authenticator: SoftwareAuthenticator, name: str = "Laptop"
) -> dict[str, Any]:
    options = await gql.execute(BEGIN_REGISTRATION, token=token)
    assert options.ok, options.body
    credential = authenticator.make_credential(options.data["beginPasskeyRegistration"])
    result = await gql.execute(
        FINISH_REGISTRATION, {"name": name, "credential": credential}, token=token
    )
    assert result.ok, result.body
    passkey: dict[str, Any] = result.data["finishPasskeyRegistration"]
    return passkey


async def _with_passkey(
    gql: GraphQLClient, *roles: Role
) -> tuple[User, str, SoftwareAuthenticator, dict[str, Any]]:
    user, token = await gql.user_with_token(*(roles or (Role.ADMIN,)))
    authenticator = SoftwareAuthenticator()
    passkey = await _register(gql, token, authenticator)
    return user, token, authenticator, passkey


async def _login_options(gql: GraphQLClient, email: str | None = None) -> dict[str, Any]:
    result = await gql.execute(BEGIN_LOGIN, {"email": email})
    assert result.ok, result.body
    options: dict[str, Any] = result.data["beginPasskeyLogin"]
    return options


def _refusal(result: Any) -> tuple[str, str]:
    (error,) = result.errors
    return error["extensions"]["code"], error["extensions"].get("reason")


async def test_a_user_registers_a_passkey_and_sees_it(gql: GraphQLClient) -> None:
    user, token = await gql.user_with_token(Role.READ_ONLY)
    options = (await gql.execute(BEGIN_REGISTRATION, token=token)).data["beginPasskeyRegistration"]
    assert options["rp"] == {"id": "localhost", "name": "Gatehouse"}
    assert options["user"]["name"] == user.email
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["excludeCredentials"] == []
    authenticator = SoftwareAuthenticator()

    credential = authenticator.make_credential(options)
    result = await gql.execute(
        FINISH_REGISTRATION, {"name": "Work laptop", "credential": credential}, token=token
    )

    assert result.ok, result.body
    passkey = result.data["finishPasskeyRegistration"]
    assert passkey["name"] == "Work laptop"
    assert passkey["lastUsedAt"] is None
    listed = await gql.execute(MY_PASSKEYS, token=token)
    assert listed.data["me"]["passkeys"] == [passkey]
    stored = await Passkey.get(user_id=user.id)
    assert stored.credential_id == b64(authenticator.credential_id)
    assert stored.transports == "internal"
    (event,) = await AuditEvent.filter(action=str(AuditAction.PASSKEY_REGISTER))
    assert (event.outcome, event.target_type, event.actor_id) == ("OK", "passkey", user.id)
    # A second registration excludes the first passkey, and keeps the user's handle.
    again = (await gql.execute(BEGIN_REGISTRATION, token=token)).data["beginPasskeyRegistration"]
    assert [each["id"] for each in again["excludeCredentials"]] == [credential["id"]]
    assert again["user"]["id"] == options["user"]["id"]


async def test_the_same_authenticator_cannot_register_twice(gql: GraphQLClient) -> None:
    _user, token, authenticator, _ = await _with_passkey(gql)
    options = (await gql.execute(BEGIN_REGISTRATION, token=token)).data["beginPasskeyRegistration"]

    result = await gql.execute(
        FINISH_REGISTRATION,
        {"name": "Again", "credential": authenticator.make_credential(options)},
        token=token,
    )

    assert result.codes == ["CONFLICT"]


@pytest.mark.parametrize(
    "bend",
    [
        {"origin": "http://evil.example"},
        {"rp_id": "evil.example"},
    ],
)
async def test_a_registration_for_another_site_is_refused(
    gql: GraphQLClient, bend: dict[str, str]
) -> None:
    user, token = await gql.user_with_token(Role.ADMIN)
    options = (await gql.execute(BEGIN_REGISTRATION, token=token)).data["beginPasskeyRegistration"]

    credential = SoftwareAuthenticator().make_credential(options, **bend)
    result = await gql.execute(
        FINISH_REGISTRATION, {"name": "x", "credential": credential}, token=token
    )

    assert _refusal(result) == ("BAD_USER_INPUT", "PASSKEY_REFUSED")
    assert not await Passkey.filter(user_id=user.id).exists()


async def test_a_registration_challenge_serves_only_its_user(gql: GraphQLClient) -> None:
    _alice, alice_token = await gql.user_with_token(Role.ADMIN)
    bob, bob_token = await gql.user_with_token(Role.ADMIN)
    options = (await gql.execute(BEGIN_REGISTRATION, token=alice_token)).data[
        "beginPasskeyRegistration"
    ]

    credential = SoftwareAuthenticator().make_credential(options)
    result = await gql.execute(
        FINISH_REGISTRATION, {"name": "x", "credential": credential}, token=bob_token
    )

    assert _refusal(result) == ("BAD_USER_INPUT", "PASSKEY_REFUSED")
    assert not await Passkey.filter(user_id=bob.id).exists()


async def test_an_api_key_cannot_register_a_passkey(gql: GraphQLClient) -> None:
    user, _ = await gql.user_with_token(Role.SUPER_ADMIN)
    _key, secret = await make_api_key(user)

    result = await gql.execute(BEGIN_REGISTRATION, token=secret)

    assert result.codes == ["FORBIDDEN"]


async def test_anonymous_cannot_register_a_passkey(gql: GraphQLClient) -> None:
    assert (await gql.execute(BEGIN_REGISTRATION)).codes == ["UNAUTHENTICATED"]


async def test_a_passkey_signs_in_passwordless_with_a_full_session(gql: GraphQLClient) -> None:
    user, _, authenticator, passkey = await _with_passkey(gql)
    options = await _login_options(gql)
    assert options["userVerification"] == "required"
    assert options["allowCredentials"] == []

    result = await gql.execute(PASSKEY_LOGIN, {"credential": authenticator.get_assertion(options)})

    assert result.ok, result.body
    token = result.data["passkeyLogin"]["token"]
    assert result.data["passkeyLogin"]["user"]["email"] == user.email
    me = await gql.execute(MY_PASSKEYS, token=token)
    assert me.ok, me.body
    (listed,) = me.data["me"]["passkeys"]
    assert listed["id"] == passkey["id"]
    assert listed["lastUsedAt"] is not None
    session = await Session.filter(user_id=user.id).order_by("-id").first()
    assert session is not None
    assert session.mfa_verified_at is not None
    assert session.restriction is None
    stored = await Passkey.get(user_id=user.id)
    assert stored.sign_count == 1
    events = await AuditEvent.filter(action=str(AuditAction.SESSION_PASSKEY_LOGIN))
    assert [(each.outcome, each.target_id) for each in events] == [("OK", user.id)]


async def test_an_email_lists_that_users_passkeys(gql: GraphQLClient) -> None:
    user, _, authenticator, _ = await _with_passkey(gql)

    options = await _login_options(gql, user.email.upper())

    assert [each["id"] for each in options["allowCredentials"]] == [
        b64(authenticator.credential_id)
    ]
    result = await gql.execute(PASSKEY_LOGIN, {"credential": authenticator.get_assertion(options)})
    assert result.ok, result.body


async def test_an_unknown_email_gets_an_answer_of_the_same_shape(gql: GraphQLClient) -> None:
    user, _, _, _ = await _with_passkey(gql)
    known = await _login_options(gql, user.email)

    unknown = await _login_options(gql, "nobody@example.com")
    again = await _login_options(gql, "nobody@example.com")

    assert set(unknown) == set(known)
    assert len(unknown["allowCredentials"]) == len(known["allowCredentials"]) == 1
    assert set(unknown["allowCredentials"][0]) == set(known["allowCredentials"][0])
    assert len(unknown["allowCredentials"][0]["id"]) == len(known["allowCredentials"][0]["id"])
    # Stable, as a real user's passkeys are.
    assert again["allowCredentials"] == unknown["allowCredentials"]
    assert again["challenge"] != unknown["challenge"]


def _bent_key() -> dict[str, Any]:
    return {"key": ec.generate_private_key(ec.SECP256R1())}


TAMPERED: dict[str, dict[str, Any]] = {
    "another challenge": {"challenge": b64(b"\x01" * 32)},
    "another origin": {"origin": "http://localhost:9999"},
    "another relying party": {"rp_id": "evil.example"},
    "another key's signature": {"key": None},  # filled in per test
}


@pytest.mark.parametrize("tamper", list(TAMPERED))
async def test_a_tampered_assertion_is_refused_alike(gql: GraphQLClient, tamper: str) -> None:
    user, _, authenticator, _ = await _with_passkey(gql)
    options = await _login_options(gql)
    bend = dict(TAMPERED[tamper])
    if "key" in bend:
        bend = _bent_key()
    sessions = await Session.filter(user_id=user.id).count()

    result = await gql.execute(
        PASSKEY_LOGIN, {"credential": authenticator.get_assertion(options, **bend)}
    )

    assert _refusal(result) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")
    assert result.data is None
    assert await Session.filter(user_id=user.id).count() == sessions
    (event,) = await AuditEvent.filter(
        action=str(AuditAction.SESSION_PASSKEY_LOGIN), outcome="UNAUTHENTICATED"
    )
    assert event.actor_type == "anonymous"


async def test_a_signature_over_other_data_is_refused(gql: GraphQLClient) -> None:
    _, _, authenticator, _ = await _with_passkey(gql)
    credential = authenticator.get_assertion(await _login_options(gql))
    # The signed authenticator data changed after signing: a higher sign count.
    data = bytearray(unb64(credential["response"]["authenticatorData"]))
    data[-1] += 1
    credential["response"]["authenticatorData"] = b64(bytes(data))

    result = await gql.execute(PASSKEY_LOGIN, {"credential": credential})

    assert _refusal(result) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")
    refused = await AuditEvent.get(outcome="UNAUTHENTICATED")
    assert refused.details == {"reason": "invalid_assertion"}


async def test_an_assertion_without_user_verification_does_not_sign_in(
    gql: GraphQLClient,
) -> None:
    _, _, authenticator, _ = await _with_passkey(gql)
    authenticator.user_verifying = False

    result = await gql.execute(
        PASSKEY_LOGIN, {"credential": authenticator.get_assertion(await _login_options(gql))}
    )

    assert _refusal(result) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")
    (event,) = await AuditEvent.filter(outcome="UNAUTHENTICATED")
    assert event.details == {"reason": "user_not_verified"}


async def test_a_replayed_assertion_is_refused(gql: GraphQLClient) -> None:
    _, _, authenticator, _ = await _with_passkey(gql)
    credential = authenticator.get_assertion(await _login_options(gql))
    first = await gql.execute(PASSKEY_LOGIN, {"credential": credential})
    assert first.ok, first.body

    replayed = await gql.execute(PASSKEY_LOGIN, {"credential": credential})

    assert _refusal(replayed) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")


async def test_a_sign_count_that_goes_back_is_refused_as_a_clone(gql: GraphQLClient) -> None:
    user, _, authenticator, _ = await _with_passkey(gql)
    first = await gql.execute(
        PASSKEY_LOGIN,
        {"credential": authenticator.get_assertion(await _login_options(gql), sign_count=5)},
    )
    assert first.ok, first.body

    clone = await gql.execute(
        PASSKEY_LOGIN,
        {"credential": authenticator.get_assertion(await _login_options(gql), sign_count=3)},
    )

    assert _refusal(clone) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")
    assert (await Passkey.get(user_id=user.id)).sign_count == 5
    refused = await AuditEvent.get(outcome="UNAUTHENTICATED")
    assert refused.details == {"reason": "sign_count_regression"}


async def test_an_unknown_passkey_is_refused(gql: GraphQLClient) -> None:
    await _with_passkey(gql)
    stranger = SoftwareAuthenticator()

    result = await gql.execute(
        PASSKEY_LOGIN, {"credential": stranger.get_assertion(await _login_options(gql))}
    )

    assert _refusal(result) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")


async def test_an_inactive_user_cannot_sign_in_with_a_passkey(gql: GraphQLClient) -> None:
    user, _, authenticator, _ = await _with_passkey(gql)
    await User.filter(id=user.id).update(status=UserStatus.INACTIVE)

    result = await gql.execute(
        PASSKEY_LOGIN, {"credential": authenticator.get_assertion(await _login_options(gql))}
    )

    assert _refusal(result) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")


@pytest.mark.parametrize("credential", ["not json", {"id": "x"}, [1, 2], 7])
async def test_a_malformed_credential_is_refused_alike(
    gql: GraphQLClient, credential: object
) -> None:
    result = await gql.execute(PASSKEY_LOGIN, {"credential": credential})

    assert _refusal(result) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")


async def test_failures_are_throttled_with_the_sign_in_counters(gql: GraphQLClient) -> None:
    _, _, authenticator, _ = await _with_passkey(gql)
    wrong_key = ec.generate_private_key(ec.SECP256R1())
    codes = []
    for _attempt in range(6):
        options = await _login_options(gql)
        result = await gql.execute(
            PASSKEY_LOGIN, {"credential": authenticator.get_assertion(options, key=wrong_key)}
        )
        codes.extend(result.codes)

    assert codes == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"]
    # The account is locked for passwords too: one set of counters.
    locked = await gql.execute(
        PASSKEY_LOGIN, {"credential": authenticator.get_assertion(await _login_options(gql))}
    )
    assert locked.codes == ["RATE_LIMITED"]


async def test_others_passkeys_are_neither_seen_nor_removed(gql: GraphQLClient) -> None:
    owner, _, _, passkey = await _with_passkey(gql)
    boss, boss_token = await gql.user_with_token(Role.SUPER_ADMIN)

    seen = await gql.execute(USER_PASSKEYS, {"id": gid(owner)}, token=boss_token)
    node = await gql.execute(NODE, {"id": passkey["id"]}, token=boss_token)
    removed = await gql.execute(REMOVE, {"id": passkey["id"]}, token=boss_token)

    assert seen.codes == ["FORBIDDEN"]
    assert node.ok
    assert node.data == {"node": None}
    assert removed.codes == ["NOT_FOUND"]
    assert await Passkey.filter(user_id=owner.id).exists()
    assert boss.id != owner.id


async def test_an_owner_reads_a_passkey_by_its_id_and_removes_it(gql: GraphQLClient) -> None:
    user, token, _, passkey = await _with_passkey(gql, Role.READ_ONLY)

    node = await gql.execute(NODE, {"id": passkey["id"]}, token=token)
    removed = await gql.execute(REMOVE, {"id": passkey["id"]}, token=token)

    assert node.data == {"node": {"id": passkey["id"], "name": "Laptop"}}
    assert removed.data == {"removePasskey": True}
    assert not await Passkey.filter(user_id=user.id).exists()
    (event,) = await AuditEvent.filter(action=str(AuditAction.PASSKEY_REMOVE))
    assert (event.outcome, event.target_type) == ("OK", "passkey")


async def test_another_users_passkey_cannot_sign_in_for_a_session_bound_challenge(
    gql: GraphQLClient,
) -> None:
    # A challenge begun by a signed-in session (verifyMfa's) is not a passwordless one.
    _, token, authenticator, _ = await _with_passkey(gql)
    bound = await gql.execute(BEGIN_LOGIN, {"email": None}, token=token)
    options = bound.data["beginPasskeyLogin"]
    assert len(options["allowCredentials"]) == 1

    result = await gql.execute(PASSKEY_LOGIN, {"credential": authenticator.get_assertion(options)})

    assert _refusal(result) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")


async def test_no_challenge_reaches_the_log_or_the_audit(gql: GraphQLClient) -> None:
    with server_logging() as log:
        _, token, authenticator, _ = await _with_passkey(gql)
        options = await _login_options(gql)
        credential = authenticator.get_assertion(options)
        await gql.execute(PASSKEY_LOGIN, {"credential": credential})
        await gql.execute(PASSKEY_LOGIN, {"credential": credential})  # refused: a replay
        registration = await gql.execute(BEGIN_REGISTRATION, token=token)

    challenges = [options["challenge"], registration.data["beginPasskeyRegistration"]["challenge"]]
    details = json.dumps([event.details for event in await AuditEvent.all()])
    for challenge in challenges:
        assert challenge not in log.getvalue()
        assert challenge not in details
    assert credential["response"]["signature"] not in details + log.getvalue()


async def test_an_address_may_begin_only_so_many_anonymous_sign_ins(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("auth.passkey_challenges.MAX_ANONYMOUS_CHALLENGES", 3)
    codes = [(await gql.execute(BEGIN_LOGIN, {"email": None})).codes for _ in range(4)]

    assert codes == [[], [], [], ["RATE_LIMITED"]]
    # A signed-in session's challenge (verifyMfa's) is not counted.
    _user, token = await gql.user_with_token(Role.ADMIN)
    assert (await gql.execute(BEGIN_LOGIN, {"email": None}, token=token)).ok


async def test_an_assertion_naming_another_user_handle_is_refused(gql: GraphQLClient) -> None:
    _, _, authenticator, _ = await _with_passkey(gql)
    authenticator.user_handle = b"\x02" * 32

    result = await gql.execute(
        PASSKEY_LOGIN, {"credential": authenticator.get_assertion(await _login_options(gql))}
    )

    assert _refusal(result) == ("UNAUTHENTICATED", "PASSKEY_REFUSED")
    refused = await AuditEvent.get(outcome="UNAUTHENTICATED")
    assert refused.details == {"reason": "wrong_user_handle"}


async def test_an_inactive_users_email_gets_the_decoy(gql: GraphQLClient) -> None:
    user, _, authenticator, _ = await _with_passkey(gql)
    await User.filter(id=user.id).update(status=UserStatus.INACTIVE)

    options = await _login_options(gql, user.email)

    (allowed,) = options["allowCredentials"]
    assert allowed["id"] != b64(authenticator.credential_id)
