"""The enums every layer speaks: roles, scopes and statuses. They live below the models so
that the schema can name them without reaching the database; `models` re-exports them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SUPER_ADMIN = "SUPER_ADMIN"
    ADMIN = "ADMIN"
    READ_ONLY = "READ_ONLY"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]


_ROLE_RANK = {Role.READ_ONLY: 1, Role.ADMIN: 2, Role.SUPER_ADMIN: 3}


class UserStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class Scope(StrEnum):
    READ = "READ"
    WRITE = "WRITE"
    ADMIN = "ADMIN"
    # A root key: may verify other keys (`/v1/keys/verify`, `verifyApiKey`), nothing else.
    VERIFY = "VERIFY"


class ApiKeyStatus(StrEnum):
    ACTIVE = "ACTIVE"
    # Stopped, and reversible (`enableKey`); REVOKED is final.
    DISABLED = "DISABLED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


class KeyOwnerType(StrEnum):
    """Who a key acts for: the user who created it, or a service account."""

    USER = "USER"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"


class MfaMethod(StrEnum):
    TOTP = "TOTP"
    PASSKEY = "PASSKEY"
    RECOVERY_CODE = "RECOVERY_CODE"


class SessionRestriction(StrEnum):
    """What a session may do before it is trusted; a full session has none."""

    MFA_REQUIRED = "MFA_REQUIRED"
    MFA_ENROLLMENT_REQUIRED = "MFA_ENROLLMENT_REQUIRED"
    PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"  # noqa: S105 (a name, not a secret)


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


class RefillInterval(StrEnum):
    """How often a key's credits are set back to its refill amount (UTC days and months)."""

    DAILY = "DAILY"
    MONTHLY = "MONTHLY"
