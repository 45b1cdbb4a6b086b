"""Second factors from a client's side: the documents, and an authenticator app (pyotp,
as any standard TOTP client) that enrols and answers codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyotp

from core.clock import utcnow
from models import Role, User
from tests.support.factories import PASSWORD, make_user
from tests.support.graphql import GraphQLClient

LOGIN_STATE = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token restriction mfaMethods }
}
"""
BEGIN_TOTP = "mutation { beginTotpEnrollment { secret otpauthUri qrSvg } }"
CONFIRM_TOTP = "mutation Confirm($code: String!) { confirmTotpEnrollment(code: $code) }"
VERIFY_TOTP = """
mutation Verify($code: String!) {
  verifyMfa(totpCode: $code) { token expiresAt restriction mfaMethods user { email } }
}
"""
VERIFY_RECOVERY = """
mutation Verify($code: String!) { verifyMfa(recoveryCode: $code) { token restriction } }
"""
REGENERATE = "mutation { regenerateRecoveryCodes }"
DISABLE_TOTP = "mutation { disableTotp }"
RESET_MFA = "mutation Reset($userId: ID!) { resetMfa(userId: $userId) }"
MY_METHODS = "{ me { mfaMethods mustChangePassword } }"


@dataclass
class Authenticator:
    """An authenticator app holding one secret; `code()` is what its screen shows now."""

    secret: str
    used: set[str] = field(default_factory=set)

    def code(self, at: datetime | None = None) -> str:
        return pyotp.TOTP(self.secret).at(at or utcnow())

    def next_code(self) -> str:
        """The code of the next step (one step of drift is accepted): a code not yet used,
        for tests that verify twice within 30 seconds."""
        return self.code(utcnow() + timedelta(seconds=30))


@dataclass
class Enrolled:
    user: User
    token: str
    app: Authenticator
    recovery_codes: list[str]


async def enrol(gql: GraphQLClient, token: str) -> tuple[Authenticator, list[str]]:
    begun = await gql.execute(BEGIN_TOTP, token=token)
    assert begun.ok, begun.body
    app = Authenticator(pyotp.parse_uri(begun.data["beginTotpEnrollment"]["otpauthUri"]).secret)
    confirmed = await gql.execute(CONFIRM_TOTP, {"code": app.code()}, token=token)
    assert confirmed.ok, confirmed.body
    return app, confirmed.data["confirmTotpEnrollment"]


async def enrolled_user(gql: GraphQLClient, *roles: Role) -> Enrolled:
    """A user with TOTP on, and a fresh full session (its factor verified just now)."""
    user = await make_user(roles=roles or (Role.SUPER_ADMIN,))
    first = await gql.login(user)
    app, codes = await enrol(gql, first)
    return Enrolled(user=user, token=first, app=app, recovery_codes=codes)


async def sign_in(gql: GraphQLClient, user: User, password: str = PASSWORD) -> dict[str, object]:
    """The login payload's token, restriction and mfaMethods."""
    result = await gql.execute(LOGIN_STATE, {"email": user.email, "password": password})
    assert result.ok, result.body
    payload: dict[str, object] = result.data["login"]
    return payload


def reason(result_errors: list[dict[str, Any]]) -> list[object]:
    """Each error's `extensions.reason`, None where it has none."""
    return [error.get("extensions", {}).get("reason") for error in result_errors]
