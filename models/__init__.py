"""Tortoise models of every domain; Tortoise discovers them through this package."""

from models.api_keys import ApiCallDay, ApiKey, ApiKeyStatus, ApiKeyUsageDay, Scope
from models.audit import AuditEvent
from models.sessions import Session
from models.users import Role, User, UserStatus

__models__ = [User, Session, ApiKey, ApiKeyUsageDay, ApiCallDay, AuditEvent]
__all__ = [
    "ApiCallDay",
    "ApiKey",
    "ApiKeyStatus",
    "ApiKeyUsageDay",
    "AuditEvent",
    "Role",
    "Scope",
    "Session",
    "User",
    "UserStatus",
]
