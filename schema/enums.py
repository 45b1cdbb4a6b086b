"""The domain enums, exposed to GraphQL under the contract's names, each value described."""

from enum import Enum
from typing import Any

import strawberry

from core.enums import (
    ApiKeyStatus,
    InvitationStatus,
    MfaMethod,
    RefillInterval,
    Role,
    Scope,
    SessionRestriction,
    UserStatus,
)
from resolvers.api_keys import ApiKeyOrderField
from resolvers.pagination import OrderDirection
from resolvers.users import UserOrderField


def _described(enum: type[Enum], name: str, description: str, values: dict[str, str]) -> Any:
    exposed: Any = strawberry.enum(enum, name=name, description=description)
    for value in exposed.__strawberry_definition__.values:
        value.description = values[value.name]
    return exposed


RoleEnum = _described(
    Role,
    "Role",
    "What a portal user may do; a user may hold several, and the strongest counts.",
    {
        "SUPER_ADMIN": "Everything, including users' passwords and deleting users and keys.",
        "ADMIN": "Manages users (not super-admins) and creates and revokes API keys.",
        "READ_ONLY": "Reads API keys and metrics; changes only their own password.",
    },
)
UserStatusEnum = _described(
    UserStatus,
    "UserStatus",
    "Whether a user may sign in.",
    {
        "ACTIVE": "May sign in; their API keys work.",
        "INACTIVE": "May not sign in; their sessions ended and their API keys stop working.",
    },
)
ScopeEnum = _described(
    Scope,
    "Scope",
    "What an API key may do on its owner's behalf. Scopes do not imply each other.",
    {
        "READ": "Every query.",
        "WRITE": "createApiKey and revokeKey.",
        "ADMIN": "createUser, updateUser, resetPassword, deleteUser and deleteApiKey.",
        "VERIFY": "A root key: verifyApiKey and POST /v1/keys/verify, nothing else.",
    },
)
ApiKeyStatusEnum = _described(
    ApiKeyStatus,
    "ApiKeyStatus",
    "Whether an API key authenticates now.",
    {
        "ACTIVE": "Neither revoked, expired nor disabled: it authenticates.",
        "DISABLED": "Stopped by disableKey until enableKey: reversible.",
        "REVOKED": "Revoked: final, whatever its expiry.",
        "EXPIRED": "Not revoked, but `expiresAt` has passed.",
    },
)
OrderDirectionEnum = _described(
    OrderDirection,
    "OrderDirection",
    "Which way a sorted list runs. Null values come last either way.",
    {"ASC": "Smallest, earliest or A first.", "DESC": "Largest, latest or Z first."},
)
UserOrderFieldEnum = _described(
    UserOrderField,
    "UserOrderField",
    "A field `users` can be sorted by.",
    {
        "EMAIL": "The email address.",
        "DISPLAY_NAME": "The display name, in the database's collation (code point order).",
        "CREATED_AT": "When the user was created.",
        "LAST_LOGIN_AT": "The last sign-in; users never signed in come last.",
    },
)
ApiKeyOrderFieldEnum = _described(
    ApiKeyOrderField,
    "ApiKeyOrderField",
    "A field `apiKeys` can be sorted by.",
    {
        "NAME": "The key's name, in the database's collation (code point order).",
        "CREATED_AT": "When the key was created.",
        "LAST_USED_AT": "The last authenticated request; keys never used come last.",
        "EXPIRES_AT": "The expiry; keys that never expire come last.",
        "TOTAL_CALLS": "The number of requests the key has made.",
    },
)
RefillIntervalEnum = _described(
    RefillInterval,
    "RefillInterval",
    "When a key's credits are set back to its refill amount.",
    {
        "DAILY": "At the first use after 00:00 UTC each day.",
        "MONTHLY": "At the first use after 00:00 UTC on the first of each month.",
    },
)
MfaMethodEnum = _described(
    MfaMethod,
    "MfaMethod",
    "A way to verify a second factor (`verifyMfa`).",
    {
        "TOTP": "A 6-digit code from an authenticator app (RFC 6238).",
        "PASSKEY": "A passkey (WebAuthn).",
        "RECOVERY_CODE": "One of the one-use recovery codes given at TOTP enrolment.",
    },
)
SessionRestrictionEnum = _described(
    SessionRestriction,
    "SessionRestriction",
    "What a session may do before it is trusted; every other operation is refused with "
    "this name in `extensions.reason`.",
    {
        "MFA_REQUIRED": "Signed in with a password only: verifyMfa and logout "
        "(UNAUTHENTICATED otherwise).",
        "MFA_ENROLLMENT_REQUIRED": "A role in MFA_REQUIRED_ROLES without a second factor: me, "
        "the enrolment mutations and logout (FORBIDDEN otherwise).",
        "PASSWORD_CHANGE_REQUIRED": "A temporary password: me, changePassword and logout "
        "(FORBIDDEN otherwise).",
    },
)
InvitationStatusEnum = _described(
    InvitationStatus,
    "InvitationStatus",
    "Where an invitation stands.",
    {
        "PENDING": "Neither accepted nor revoked, and `expiresAt` is still ahead: its token works.",
        "ACCEPTED": "Accepted: the user exists. Final.",
        "EXPIRED": "Not accepted before `expiresAt`; `resendInvitation` gives it a new token.",
        "REVOKED": "Revoked before it was accepted. Final.",
    },
)
