"""Getting back in without one's factor: a super-admin's resetMfa (never by a weaker
credential, never on oneself) and the operator's `gatehouse reset-mfa`; and no secret of a
second factor in any log line or audit detail."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models import AuditEvent, RecoveryCode, Role, Scope, Session, TotpFactor
from tests.support.cli import Gatehouse, rows
from tests.support.documents import ME_EMAIL
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient
from tests.support.logging_capture import server_logging
from tests.support.mfa import (
    BEGIN_TOTP,
    CONFIRM_TOTP,
    REGENERATE,
    RESET_MFA,
    VERIFY_RECOVERY,
    VERIFY_TOTP,
    Authenticator,
    enrolled_user,
    sign_in,
)


async def test_a_super_admin_resets_another_users_factors_and_ends_their_sessions(
    gql: GraphQLClient,
) -> None:
    target = await enrolled_user(gql, Role.ADMIN)
    admin = await enrolled_user(gql, Role.SUPER_ADMIN)

    result = await gql.execute(RESET_MFA, {"userId": gid(target.user)}, token=admin.token)

    assert result.data == {"resetMfa": True}
    assert not await TotpFactor.filter(user_id=target.user.id).exists()
    assert not await RecoveryCode.filter(user_id=target.user.id).exists()
    assert not await Session.filter(user_id=target.user.id).exists()
    assert (await gql.execute(ME_EMAIL, token=target.token)).codes == ["UNAUTHENTICATED"]
    assert (await sign_in(gql, target.user))["restriction"] is None
    event = await AuditEvent.get(action="mfa.reset", outcome="OK")
    assert event.target_id == target.user.id
    assert event.details == {"sessionsEnded": 1}


async def test_weaker_credentials_cannot_reset_factors(gql: GraphQLClient) -> None:
    target = await enrolled_user(gql, Role.SUPER_ADMIN)
    owner = await make_user(roles=(Role.SUPER_ADMIN,))
    tokens = [
        (await gql.user_with_token(Role.ADMIN))[1],
        (await gql.user_with_token(Role.READ_ONLY))[1],
        (await make_api_key(owner, scopes=(Scope.READ, Scope.WRITE)))[1],
        (await make_api_key(await make_user(roles=(Role.ADMIN,)), scopes=(Scope.ADMIN,)))[1],
    ]
    for token in tokens:
        refused = await gql.execute(RESET_MFA, {"userId": gid(target.user)}, token=token)
        assert refused.codes == ["FORBIDDEN"], refused.body
    assert await TotpFactor.filter(user_id=target.user.id, secret__isnull=False).exists()


async def test_nobody_resets_their_own_factors(gql: GraphQLClient) -> None:
    admin = await enrolled_user(gql, Role.SUPER_ADMIN)
    refused = await gql.execute(RESET_MFA, {"userId": gid(admin.user)}, token=admin.token)
    assert refused.codes == ["FORBIDDEN"]
    assert await TotpFactor.filter(user_id=admin.user.id).exists()


async def test_an_unknown_user_is_not_found(gql: GraphQLClient) -> None:
    admin = await enrolled_user(gql, Role.SUPER_ADMIN)
    refused = await gql.execute(
        RESET_MFA, {"userId": gid(admin.user)[:-2] + "zz"}, token=admin.token
    )
    assert refused.codes in (["NOT_FOUND"], ["BAD_USER_INPUT"])


async def test_no_secret_or_code_reaches_a_log_line_an_audit_detail_or_a_later_answer(
    gql: GraphQLClient,
) -> None:
    user = await make_user(roles=(Role.SUPER_ADMIN,))
    with server_logging("DEBUG") as output:
        token = await gql.login(user)
        begun = (await gql.execute(BEGIN_TOTP, token=token)).data["beginTotpEnrollment"]
        secret = begun["secret"]
        app, codes = await _confirm(gql, token, secret)
        regenerated = (await gql.execute(REGENERATE, token=token)).data["regenerateRecoveryCodes"]
        second = str((await sign_in(gql, user))["token"])
        await gql.execute(VERIFY_RECOVERY, {"code": regenerated[0]}, token=second)
        third = str((await sign_in(gql, user))["token"])
        await gql.execute(VERIFY_TOTP, {"code": app.next_code()}, token=third)
        again = (await gql.execute(BEGIN_TOTP, token=token)).body
        me = (await gql.execute("{ me { mfaMethods } }", token=token)).body

    secrets = [secret, *codes, *regenerated]
    logged = output.getvalue()
    audit = str([(e.action, e.details) for e in await AuditEvent.all()])
    for value in secrets:
        assert value not in logged
        assert value not in audit
        assert value not in str(again)
        assert value not in str(me)
    assert "mfa.totp_enable" in audit
    assert "mfa.recovery_codes_regenerate" in audit


async def _confirm(gql: GraphQLClient, token: str, secret: str) -> tuple[Authenticator, list[str]]:
    app = Authenticator(secret)
    confirmed = await gql.execute(CONFIRM_TOTP, {"code": app.code()}, token=token)
    assert confirmed.ok, confirmed.body
    return app, confirmed.data["confirmTotpEnrollment"]


# gatehouse reset-mfa


@pytest.fixture
def gatehouse(tmp_path: Path) -> Gatehouse:
    return Gatehouse.on_sqlite(tmp_path, tmp_path / "x.sqlite3")


def test_the_cli_removes_every_factor_and_ends_the_sessions(
    gatehouse: Gatehouse, tmp_path: Path
) -> None:
    database_file = tmp_path / "x.sqlite3"
    made = gatehouse("create-user", "--email", "a@b.co", stdin="the first long password\n")
    assert made.returncode == 0, made.stderr
    now = datetime.now(UTC)
    with closing(sqlite3.connect(database_file)) as connection, connection:
        connection.execute(
            "INSERT INTO totp_factors (user_id, secret, last_step, created_at) "
            "SELECT id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 0, ? FROM users",
            (now.isoformat(),),
        )
        connection.execute(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) "
            "SELECT id, ?, ? FROM users",
            ("f" * 64, now.isoformat()),
        )
        connection.execute(
            "INSERT INTO sessions (user_id, token_hash, created_at, expires_at) "
            "SELECT id, ?, ?, ? FROM users",
            ("0" * 64, now.isoformat(), (now + timedelta(hours=1)).isoformat()),
        )

    finished = gatehouse("reset-mfa", "--email", "A@B.co")

    assert finished.returncode == 0, finished.stderr
    assert "JBSWY3DP" not in finished.stderr + finished.stdout
    assert rows(database_file, "SELECT * FROM totp_factors") == []
    assert rows(database_file, "SELECT * FROM recovery_codes") == []
    assert rows(database_file, "SELECT * FROM sessions") == []
    assert rows(
        database_file,
        "SELECT actor_type, outcome FROM audit_events WHERE action = 'mfa.reset'",
    ) == [("system", "OK")]


def test_the_cli_names_an_unknown_email(gatehouse: Gatehouse) -> None:
    gatehouse("migrate")
    finished = gatehouse("reset-mfa", "--email", "nobody@b.co")
    assert finished.returncode == 1
    assert "no user with email" in finished.stderr
    assert "Traceback" not in finished.stderr
