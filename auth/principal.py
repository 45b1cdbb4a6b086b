"""Who is calling: a portal user by session, automation by API key, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.enums import SessionRestriction
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
    """No valid credential. `rejected` is set when one was sent but was not accepted."""

    rejected: bool = False
    client_address: str | None = None


Actor = Principal | Anonymous
