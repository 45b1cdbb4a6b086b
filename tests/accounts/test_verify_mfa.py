"""Signing in with a second factor: the restricted session a password alone opens,
verifyMfa with a TOTP code or a recovery code, each accepted once (also when two server
instances share the database), and wrong codes throttled with the sign-in counters."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import time_machine

from core.clock import utcnow
from models import AuditEvent, Role, Session
from tests.support.documents import ME_EMAIL
from tests.support.factories import make_api_key, make_user
from tests.support.graphql import GraphQLClient
from tests.support.limiter import app_client
from tests.support.mfa import (
    VERIFY_RECOVERY,
    VERIFY_TOTP,
    enrolled_user,
    reason,
    sign_in,
)


async def test_a_password_alone_opens_a_session_restricted_to_mfa(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    payload = await sign_in(gql, enrolled.user)

    assert payload["restriction"] == "MFA_REQUIRED"
    assert payload["mfaMethods"] == ["TOTP", "RECOVERY_CODE"]
    refused = await gql.execute(ME_EMAIL, token=str(payload["token"]))
    assert refused.codes == ["UNAUTHENTICATED"]
    assert reason(refused.errors) == ["MFA_REQUIRED"]


async def test_a_user_without_a_factor_gets_a_full_session(gql: GraphQLClient) -> None:
    user = await make_user(roles=(Role.SUPER_ADMIN,))
    payload = await sign_in(gql, user)
    assert payload["restriction"] is None
    assert payload["mfaMethods"] == []
    assert (await gql.execute(ME_EMAIL, token=str(payload["token"]))).ok


async def test_a_totp_code_lifts_the_restriction_on_the_same_token(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    token = str((await sign_in(gql, enrolled.user))["token"])

    verified = await gql.execute(VERIFY_TOTP, {"code": enrolled.app.next_code()}, token=token)

    assert verified.ok, verified.body
    payload = verified.data["verifyMfa"]
    assert payload["token"] == token
    assert payload["restriction"] is None
    assert payload["user"]["email"] == enrolled.user.email
    me = await gql.execute(ME_EMAIL, token=token)
    assert me.data == {"me": {"email": enrolled.user.email}}
    session = await Session.filter(user_id=enrolled.user.id).order_by("-id").first()
    assert session is not None
    assert session.restriction is None
    assert session.mfa_verified_at is not None


async def test_a_code_is_accepted_once(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    code = enrolled.app.next_code()
    first = str((await sign_in(gql, enrolled.user))["token"])
    second = str((await sign_in(gql, enrolled.user))["token"])

    assert (await gql.execute(VERIFY_TOTP, {"code": code}, token=first)).ok
    replayed = await gql.execute(VERIFY_TOTP, {"code": code}, token=second)

    assert replayed.codes == ["FORBIDDEN"]
    assert reason(replayed.errors) == ["INVALID_MFA_CODE"]
    assert (await gql.execute(ME_EMAIL, token=second)).codes == ["UNAUTHENTICATED"]


async def test_an_older_code_after_a_newer_one_is_refused(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    token = str((await sign_in(gql, enrolled.user))["token"])
    previous = enrolled.app.code(utcnow() - timedelta(seconds=30))
    assert (await gql.execute(VERIFY_TOTP, {"code": enrolled.app.next_code()}, token=token)).ok
    refused = await gql.execute(VERIFY_TOTP, {"code": previous}, token=token)
    assert reason(refused.errors) == ["INVALID_MFA_CODE"]


async def test_a_code_sent_at_once_to_two_server_instances_is_accepted_once(db: None) -> None:
    async with app_client() as one, app_client() as two:
        enrolled = await enrolled_user(GraphQLClient(one))
        code = enrolled.app.next_code()
        tokens = [
            str((await sign_in(GraphQLClient(c), enrolled.user))["token"]) for c in (one, two)
        ]
        results = await asyncio.gather(
            GraphQLClient(one).execute(VERIFY_TOTP, {"code": code}, token=tokens[0]),
            GraphQLClient(two).execute(VERIFY_TOTP, {"code": code}, token=tokens[1]),
        )
    assert sorted(result.ok for result in results) == [False, True]


async def test_codes_one_step_off_are_accepted_and_two_steps_off_are_not(
    gql: GraphQLClient,
) -> None:
    enrolled = await enrolled_user(gql)
    token = str((await sign_in(gql, enrolled.user))["token"])
    now = utcnow()
    too_late = enrolled.app.code(now + timedelta(seconds=60))
    too_early = enrolled.app.code(now - timedelta(seconds=60))
    for code in {too_late, too_early} - {enrolled.app.code(now), enrolled.app.next_code()}:
        refused = await gql.execute(VERIFY_TOTP, {"code": code}, token=token)
        assert reason(refused.errors) == ["INVALID_MFA_CODE"]
    assert (await gql.execute(VERIFY_TOTP, {"code": enrolled.app.next_code()}, token=token)).ok


async def test_wrong_codes_are_throttled_with_the_sign_in_counters(db: None) -> None:
    async with app_client(login_max_failures_per_account=3) as client:
        gql = GraphQLClient(client)
        enrolled = await enrolled_user(gql)
        token = str((await sign_in(gql, enrolled.user))["token"])
        right = enrolled.app.next_code()
        wrong = "000000" if right != "000000" else "111111"
        failures = [await gql.execute(VERIFY_TOTP, {"code": wrong}, token=token) for _ in range(3)]
        locked = await gql.execute(VERIFY_TOTP, {"code": right}, token=token)
        login = await gql.execute(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            {"e": enrolled.user.email, "p": "correct horse battery staple"},
        )

    assert [f.codes for f in failures] == [["FORBIDDEN"]] * 3
    assert locked.codes == ["RATE_LIMITED"]
    assert locked.errors[0]["extensions"]["retryAfter"] >= 1
    assert login.codes == ["RATE_LIMITED"]


async def test_a_recovery_code_works_once(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    code = enrolled.recovery_codes[3]
    first = str((await sign_in(gql, enrolled.user))["token"])
    second = str((await sign_in(gql, enrolled.user))["token"])

    used = await gql.execute(VERIFY_RECOVERY, {"code": code.upper()}, token=first)
    again = await gql.execute(VERIFY_RECOVERY, {"code": code}, token=second)

    assert used.ok, used.body
    assert used.data["verifyMfa"]["restriction"] is None
    assert reason(again.errors) == ["INVALID_MFA_CODE"]
    other = await gql.execute(VERIFY_RECOVERY, {"code": enrolled.recovery_codes[4]}, token=second)
    assert other.ok


async def test_verify_takes_exactly_one_factor(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    token = str((await sign_in(gql, enrolled.user))["token"])
    none = await gql.execute("mutation { verifyMfa { token } }", token=token)
    both = await gql.execute(
        "mutation($c: String!) { verifyMfa(totpCode: $c, recoveryCode: $c) { token } }",
        {"c": enrolled.app.next_code()},
        token=token,
    )
    assert none.codes == ["BAD_USER_INPUT"]
    assert both.codes == ["BAD_USER_INPUT"]


async def test_a_malformed_passkey_is_refused_as_a_wrong_code_is(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    token = str((await sign_in(gql, enrolled.user))["token"])
    result = await gql.execute('mutation { verifyMfa(passkey: {id: "x"}) { token } }', token=token)
    assert result.codes == ["FORBIDDEN"]
    assert reason(result.errors) == ["PASSKEY_REFUSED"]


async def test_verifying_without_a_factor_is_bad_input(gql: GraphQLClient) -> None:
    _, token = await gql.user_with_token(Role.ADMIN)
    result = await gql.execute(VERIFY_TOTP, {"code": "123456"}, token=token)
    assert result.codes == ["BAD_USER_INPUT"]
    assert reason(result.errors) == ["NO_SECOND_FACTOR"]


async def test_an_api_key_cannot_verify(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    _, secret = await make_api_key(enrolled.user)
    result = await gql.execute(VERIFY_TOTP, {"code": enrolled.app.next_code()}, token=secret)
    assert result.codes == ["FORBIDDEN"]


async def test_a_code_from_a_later_minute_verifies_a_later_sign_in(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=True):
        token = str((await sign_in(gql, enrolled.user))["token"])
        verified = await gql.execute(VERIFY_TOTP, {"code": enrolled.app.code()}, token=token)
    assert verified.ok, verified.body


async def test_every_verification_is_audited_without_the_code(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    token = str((await sign_in(gql, enrolled.user))["token"])
    code = enrolled.app.next_code()
    await gql.execute(
        VERIFY_TOTP, {"code": "999999" if code != "999999" else "888888"}, token=token
    )
    await gql.execute(VERIFY_TOTP, {"code": code}, token=token)

    events = await AuditEvent.filter(action="mfa.verify").order_by("id")
    assert [event.outcome for event in events] == ["FORBIDDEN", "OK"]
    assert events[1].details == {"method": "TOTP"}
    assert code not in str([event.details for event in events])
