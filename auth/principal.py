"""Who is calling: a portal user by session, automation by API key, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.enums import SessionRestriction
from core.errors import GatehouseError, unauthenticated
from models import ApiKey, Role, Scope, Session, User


@dataclass(frozen=True)
class CountedCall:
    """A key's call as the call counter counted it: when, and under which operation name,
    so that the answer's outcome can be filed in the same roll-up bucket."""

    at: datetime
    operation: str | None


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. With an API key it acts as the key's owner, narrowed by the
    key's scopes; with a session it has every scope its roles allow."""

    user: User
    session: Session | None = None
    api_key: ApiKey | None = None
    client_address: str | None = None
    counted_call: CountedCall | None = None
    # What a session may do before it is trusted (auth.mfa.effective_restriction); None
    # for a full session and for every API key.
    restriction: SessionRestriction | None = None

    @property
    def role(self) -> Role | None:
        return self.user.strongest_role

    def holds(self, scope: Scope) -> bool:
        return self.api_key is None or scope in self.api_key.scopes

    def can_grant(self, scopes: list[Scope]) -> bool:
        return all(self.holds(scope) for scope in scopes)


@dataclass(frozen=True)
class Anonymous:
    """No valid credential. `rejected` is set when one was sent but was not accepted;
    `reason`, when the refusal has a name a client may act on (`SESSION_IDLE`)."""

    rejected: bool = False
    client_address: str | None = None
    reason: str | None = None


Actor = Principal | Anonymous

# The reason of a session refused (and ended) for going unused past SESSION_IDLE_MINUTES.
SESSION_IDLE = "SESSION_IDLE"


def credential_refusal(actor: Anonymous) -> GatehouseError:
    """UNAUTHENTICATED for a credential that was sent but not accepted."""
    if actor.reason == SESSION_IDLE:
        return unauthenticated(
            "The session was unused for longer than SESSION_IDLE_MINUTES and has ended; "
            "sign in again.",
            reason=SESSION_IDLE,
        )
    return unauthenticated("The credential is malformed, unknown, expired, disabled or revoked.")
