"""The rows resolver functions answer with, named for the schema layer: it hands them to its
types' `from_model` and reads their attributes, but never queries through them (no
`models` import above this layer; the import-graph test holds the line)."""

from models import ApiKey, AuditEvent, Invitation, Passkey, ServiceAccount, Session, User

__all__ = ["ApiKey", "AuditEvent", "Invitation", "Passkey", "ServiceAccount", "Session", "User"]
