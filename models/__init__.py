"""Tortoise models of every domain; Tortoise discovers them through this package. The
shared enums live in core.enums and are re-exported here."""

from core.enums import ApiKeyStatus, KeyOwnerType, RefillInterval, Role, Scope, UserStatus
from models.api_keys import ApiCallDay, ApiKey, ApiKeyUsageDay
from models.audit import AuditEvent
from models.invitations import Invitation
from models.key_tallies import KeyTally
from models.mfa import RecoveryCode, TotpFactor
from models.passkeys import Passkey, PasskeyChallenge
from models.rate_limits import RateLimitCounter
from models.service_accounts import ServiceAccount
from models.sessions import Session
from models.usage import ApiKeyUsageRollup
from models.users import User
from models.webhooks import WebhookEvent

__models__ = [
    User,
    Session,
    ServiceAccount,
    ApiKey,
    ApiKeyUsageDay,
    ApiCallDay,
    ApiKeyUsageRollup,
    KeyTally,
    AuditEvent,
    WebhookEvent,
    RateLimitCounter,
    Passkey,
    PasskeyChallenge,
    Invitation,
    TotpFactor,
    RecoveryCode,
]
__all__ = [
    "ApiCallDay",
    "ApiKey",
    "ApiKeyStatus",
    "ApiKeyUsageDay",
    "ApiKeyUsageRollup",
    "AuditEvent",
    "Invitation",
    "KeyOwnerType",
    "KeyTally",
    "Passkey",
    "PasskeyChallenge",
    "RateLimitCounter",
    "RecoveryCode",
    "RefillInterval",
    "Role",
    "Scope",
    "ServiceAccount",
    "Session",
    "TotpFactor",
    "User",
    "UserStatus",
    "WebhookEvent",
]
