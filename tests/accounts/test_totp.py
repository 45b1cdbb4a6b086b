"""TOTP enrolment as an authenticator app sees it (pyotp as the standard client): the
secret, the otpauth URI and QR code, confirmation, recovery codes, turning it off."""

from __future__ import annotations

import base64
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pyotp

from models import RecoveryCode, Role, Scope, TotpFactor
from tests.support.database import SETTINGS
from tests.support.factories import make_api_key, make_user
from tests.support.graphql import GraphQLClient
from tests.support.limiter import app_client
from tests.support.mfa import (
    BEGIN_TOTP,
    CONFIRM_TOTP,
    DISABLE_TOTP,
    MY_METHODS,
    REGENERATE,
    Authenticator,
    enrol,
    enrolled_user,
    reason,
)


async def test_enrolment_gives_a_standard_otpauth_uri_and_an_svg_qr_code(
    gql: GraphQLClient,
) -> None:
    user, token = await gql.user_with_token(Role.ADMIN)
    begun = (await gql.execute(BEGIN_TOTP, token=token)).data["beginTotpEnrollment"]

    totp = pyotp.parse_uri(begun["otpauthUri"])
    assert isinstance(totp, pyotp.TOTP)
    assert (totp.digits, totp.interval, totp.digest().name) == (6, 30, "sha1")
    assert totp.secret == begun["secret"]
    assert len(base64.b32decode(begun["secret"])) == 20  # 160 bits, as RFC 4226 advises
    uri = urlsplit(begun["otpauthUri"])
    assert uri.scheme == "otpauth"
    assert parse_qs(uri.query)["issuer"] == ["Gatehouse"]
    assert user.email in uri.path.replace("%40", "@")
    assert begun["qrSvg"].lstrip().startswith("<svg")
    assert begun["qrSvg"].rstrip().endswith("</svg>")


async def test_the_issuer_is_webauthn_rp_name_when_set(db: None) -> None:
    user = await make_user()
    async with app_client(webauthn_rp_name="Acme Portal") as client:
        gql = GraphQLClient(client)
        token = await gql.login(user)
        begun = (await gql.execute(BEGIN_TOTP, token=token)).data["beginTotpEnrollment"]
    assert parse_qs(urlsplit(begun["otpauthUri"]).query)["issuer"] == ["Acme Portal"]
    assert replace(SETTINGS, webauthn_rp_name="Acme Portal").mfa.issuer == "Acme Portal"


async def test_beginning_again_gives_a_new_secret_and_the_old_one_stops_counting(
    gql: GraphQLClient,
) -> None:
    _, token = await gql.user_with_token(Role.ADMIN)
    first = (await gql.execute(BEGIN_TOTP, token=token)).data["beginTotpEnrollment"]["secret"]
    second = (await gql.execute(BEGIN_TOTP, token=token)).data["beginTotpEnrollment"]["secret"]
    assert first != second

    stale = await gql.execute(CONFIRM_TOTP, {"code": Authenticator(first).code()}, token=token)
    assert reason(stale.errors) == ["INVALID_MFA_CODE"]
    fresh = await gql.execute(CONFIRM_TOTP, {"code": Authenticator(second).code()}, token=token)
    assert fresh.ok, fresh.body


async def test_confirming_turns_totp_on_with_ten_distinct_recovery_codes(
    gql: GraphQLClient,
) -> None:
    user, token = await gql.user_with_token(Role.READ_ONLY)
    before = await gql.execute(MY_METHODS, token=token)
    assert before.data["me"]["mfaMethods"] == []

    app, codes = await enrol(gql, token)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    after = await gql.execute(MY_METHODS, token=token)
    assert after.data["me"]["mfaMethods"] == ["TOTP", "RECOVERY_CODE"]
    factor = await TotpFactor.get(user_id=user.id)
    assert factor.secret == app.secret
    assert factor.pending_secret is None
    stored = {row.code_hash for row in await RecoveryCode.filter(user_id=user.id)}
    assert len(stored) == 10
    assert not stored & set(codes)  # only digests


async def test_a_wrong_confirmation_code_enables_nothing(gql: GraphQLClient) -> None:
    user, token = await gql.user_with_token(Role.ADMIN)
    begun = (await gql.execute(BEGIN_TOTP, token=token)).data["beginTotpEnrollment"]
    wrong = "000000" if Authenticator(begun["secret"]).code() != "000000" else "111111"

    refused = await gql.execute(CONFIRM_TOTP, {"code": wrong}, token=token)

    assert refused.codes == ["FORBIDDEN"]
    assert reason(refused.errors) == ["INVALID_MFA_CODE"]
    assert (await TotpFactor.get(user_id=user.id)).secret is None
    assert not await RecoveryCode.filter(user_id=user.id).exists()


async def test_confirming_without_beginning_is_bad_input(gql: GraphQLClient) -> None:
    _, token = await gql.user_with_token(Role.ADMIN)
    refused = await gql.execute(CONFIRM_TOTP, {"code": "123456"}, token=token)
    assert refused.codes == ["BAD_USER_INPUT"]
    assert reason(refused.errors) == ["NO_TOTP_ENROLLMENT"]


async def test_beginning_while_totp_is_on_is_a_conflict(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    refused = await gql.execute(BEGIN_TOTP, token=enrolled.token)
    assert refused.codes == ["CONFLICT"]
    assert reason(refused.errors) == ["TOTP_ALREADY_ENABLED"]


async def test_regenerating_replaces_every_recovery_code(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    result = await gql.execute(REGENERATE, token=enrolled.token)
    assert result.ok, result.body
    new_codes = result.data["regenerateRecoveryCodes"]
    assert len(new_codes) == 10
    assert not set(new_codes) & set(enrolled.recovery_codes)
    assert await RecoveryCode.filter(user_id=enrolled.user.id).count() == 10


async def test_regenerating_without_a_factor_is_bad_input(gql: GraphQLClient) -> None:
    _, token = await gql.user_with_token(Role.ADMIN)
    refused = await gql.execute(REGENERATE, token=token)
    assert refused.codes == ["BAD_USER_INPUT"]
    assert reason(refused.errors) == ["NO_SECOND_FACTOR"]


async def test_disabling_removes_the_secret_and_the_recovery_codes(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    result = await gql.execute(DISABLE_TOTP, token=enrolled.token)
    assert result.data == {"disableTotp": True}
    assert not await TotpFactor.filter(user_id=enrolled.user.id).exists()
    assert not await RecoveryCode.filter(user_id=enrolled.user.id).exists()
    again = await gql.execute(DISABLE_TOTP, token=enrolled.token)
    assert again.data == {"disableTotp": False}


async def test_api_keys_cannot_enrol(gql: GraphQLClient) -> None:
    user = await make_user(roles=(Role.SUPER_ADMIN,))
    _, secret = await make_api_key(user, scopes=(Scope.READ, Scope.WRITE, Scope.ADMIN))
    for document in (BEGIN_TOTP, REGENERATE, DISABLE_TOTP):
        refused = await gql.execute(document, token=secret)
        assert refused.codes == ["FORBIDDEN"], document


async def test_admins_see_which_methods_a_user_has(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql, Role.READ_ONLY)
    plain = await make_user(roles=(Role.READ_ONLY,))
    _, admin_token = await gql.user_with_token(Role.ADMIN)
    result = await gql.execute(
        "{ users(first: 50) { nodes { email mfaMethods mustChangePassword } } }",
        token=admin_token,
    )
    methods = {n["email"]: n["mfaMethods"] for n in result.data["users"]["nodes"]}
    assert methods[enrolled.user.email] == ["TOTP", "RECOVERY_CODE"]
    assert methods[plain.email] == []
