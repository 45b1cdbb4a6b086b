"""Who is calling: a portal user by session, automation by API key, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.enums import SessionRestriction
from core.errors import GatehouseError, forbidden, unauthenticated
from models import ApiKey, Role, Scope, ServiceAccount, Session, User
from models.key_rows import KeyRow

# The reason of the FORBIDDEN a service account's key gets where only a person will do.
NOT_A_PERSON = "SERVICE_ACCOUNT_KEY"


@dataclass(frozen=True)
class CountedCall:
    """A key's call as the call counter counted it: when, and under which operation name,
    so that the answer's outcome can be filed in the same roll-up bucket."""

    at: datetime
    operation: str | None


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. With an API key it acts as the key's owner, narrowed by the
    key's scopes; with a session it has every scope its roles allow.

    The owner is a user (`user`), or, for a key a service account owns, that account
    (`service_account`, and `user` is None): exactly one of the two is set."""

    user: User | None
    session: Session | None = None
    # The key as the credential path read it (models.key_rows); a model instance where one
    # was at hand. Both have the columns and properties a caller reads of it.
    api_key: ApiKey | KeyRow | None = None
    client_address: str | None = None
    counted_call: CountedCall | None = None
    # What a session may do before it is trusted (auth.mfa.effective_restriction); None
    # for a full session and for every API key.
    restriction: SessionRestriction | None = None
    service_account: ServiceAccount | None = None

    def __post_init__(self) -> None:
        if (self.user is None) == (self.service_account is None):
            msg = "a principal acts for exactly one user or service account"
            raise ValueError(msg)

    @property
    def roles(self) -> list[Role]:
        if self.service_account is not None:
            return self.service_account.roles
        return self.user.roles if self.user is not None else []

    @property
    def role(self) -> Role | None:
        return max(self.roles, key=lambda role: role.rank, default=None)

    @property
    def user_id(self) -> int | None:
        """The user acting, or acted for by a key; None for a service account's key."""
        return None if self.user is None else self.user.id

    @property
    def service_account_id(self) -> int | None:
        return None if self.service_account is None else self.service_account.id

    @property
    def person(self) -> User:
        """The user for operations only a person has (their own profile, password,
        sessions): a service account's key is FORBIDDEN there."""
        if self.user is None:
            raise forbidden(
                "This API key belongs to a service account, not to a person.",
                reason=NOT_A_PERSON,
            )
        return self.user

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
