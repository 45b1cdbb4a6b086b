"""Accounts made and mended by an operator with a shell: the first super-admin of an empty
database, `gatehouse create-user`, `gatehouse reset-password` and `gatehouse reset-mfa`."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from auth.password_policy import check_password
from core.config import ConfigError, Settings
from core.errors import ErrorCode, GatehouseError
from models import Role, User
from resolvers.mfa import reset_factors_of
from resolvers.users import create_user, has_users, normalise_email, set_password

# The name operators know from the logs of earlier releases.
log = logging.getLogger("gatehouse.bootstrap")

DEFAULT_ADMIN_EMAIL = "admin@localhost"
ENROL_HINT = (
    "second factors: sign in, then beginTotpEnrollment and confirmTotpEnrollment(code) "
    "enrol an authenticator app (docs/account-security.md)"
)
ROLE_NAMES = tuple(role.value for role in Role)
SUPER_ADMIN = Role.SUPER_ADMIN.value


@dataclass(frozen=True)
class Account:
    """What the CLI reports of an account it changed."""

    pk: int
    email: str
    roles: tuple[str, ...]


def _account(user: User) -> Account:
    return Account(pk=user.id, email=user.email, roles=tuple(str(role) for role in user.roles))


async def ensure_first_super_admin(settings: Settings) -> None:
    if await has_users():
        return
    if settings.admin_email and settings.admin_password:
        email, password, generated = settings.admin_email, str(settings.admin_password), False
    else:
        email, password, generated = DEFAULT_ADMIN_EMAIL, _generated_password(), True
    try:
        await create_user(
            None,
            email=email,
            display_name="Administrator",
            password=password,
            roles=[Role.SUPER_ADMIN],
        )
    except GatehouseError as exc:
        if exc.code != ErrorCode.BAD_USER_INPUT:
            raise
        # Only ADMIN_EMAIL or ADMIN_PASSWORD can be malformed here; name them for the operator.
        raise ConfigError(f"ADMIN_EMAIL and ADMIN_PASSWORD: {exc.message}") from None
    if generated:
        # The one time a password reaches a log: nobody could sign in otherwise. It is
        # never shown again; `gatehouse reset-password` replaces it.
        log.warning(
            "created super-admin %s with password %s (shown once: sign in and change it with "
            "the changePassword mutation)",
            email,
            password,
        )
    else:
        log.info("created super-admin %s from ADMIN_EMAIL", email)
    log.info(ENROL_HINT)


def warn_about_mfa_policy(settings: Settings) -> None:
    """One line at a production start that requires no second factor of anyone."""
    if settings.is_production and not settings.mfa_required_roles:
        log.warning(
            "MFA_REQUIRED_ROLES is unset: no role is required to use a second factor; set it "
            "(e.g. MFA_REQUIRED_ROLES=SUPER_ADMIN,ADMIN) to enforce one"
        )


def _generated_password() -> str:
    # 144 random bits; drawn again in the unlikely case the policy refuses it.
    while True:
        password = secrets.token_urlsafe(18)
        try:
            check_password(password, DEFAULT_ADMIN_EMAIL)
        except GatehouseError:
            continue
        return password


async def create_account(
    *, email: str, display_name: str, password: str, role_names: list[str]
) -> Account:
    """A user made by the system (`actor=None`), audited as such."""
    user = await create_user(
        None,
        email=email,
        display_name=display_name,
        password=password,
        roles=[Role(name) for name in role_names],
    )
    return _account(user)


async def reset_password(email: str, password: str) -> Account | None:
    """Replace the password of the user with this email, ending their sessions and lifting
    their sign-in lock; None when there is no such user."""
    user = await User.get_or_none(email=normalise_email(email))
    if user is None:
        return None
    await set_password(None, user, password)
    return _account(user)


async def reset_mfa(email: str) -> tuple[Account, int] | None:
    """Remove every second factor of the user with this email and end their sessions (the
    operator locked out of everything); with the number of sessions ended, None when there
    is no such user."""
    user = await User.get_or_none(email=normalise_email(email))
    if user is None:
        return None
    ended = await reset_factors_of(None, user)
    return _account(user), ended
