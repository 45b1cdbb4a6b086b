"""The first super-admin of an empty database."""

from __future__ import annotations

import logging
import secrets

from core.config import ConfigError, Settings
from core.errors import ErrorCode, GatehouseError
from models import Role
from resolvers.users import create_user, has_users

log = logging.getLogger("gatehouse.bootstrap")

DEFAULT_ADMIN_EMAIL = "admin@localhost"


async def ensure_first_super_admin(settings: Settings) -> None:
    if await has_users():
        return
    if settings.admin_email and settings.admin_password:
        email, password, generated = settings.admin_email, str(settings.admin_password), False
    else:
        email, password, generated = DEFAULT_ADMIN_EMAIL, secrets.token_urlsafe(18), True
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
