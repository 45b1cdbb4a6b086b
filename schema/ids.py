"""Global, opaque IDs: the one place where an `ID` argument becomes a row's primary key.

Every `User`, `ApiKey`, `Invitation` and `ServiceAccount` id in the API is Relay's global
ID, base64 of "<Type>:<pk>" (`strawberry.relay` writes them on the way out). Ids of two types never
collide, and a client must treat them as opaque. Every operation that takes an id decodes
it here: a malformed id, or the id of another type, is "no such row" — null for a lookup,
NOT_FOUND for a mutation — never INTERNAL.
"""

from __future__ import annotations

import binascii
from typing import Annotated, Any

import strawberry
from strawberry.relay.utils import from_base64, to_base64

from core.errors import not_found

USER = "User"
API_KEY = "ApiKey"
PASSKEY = "Passkey"
SERVICE_ACCOUNT = "ServiceAccount"
SESSION = "Session"
INVITATION = "Invitation"
_WHAT = {
    USER: "User",
    API_KEY: "API key",
    PASSKEY: "Passkey",
    SESSION: "Session",
    INVITATION: "Invitation",
    SERVICE_ACCOUNT: "Service account",
}
_MAX_PK = 2**63 - 1


def global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(to_base64(type_name, pk))


def node_id_field() -> Any:
    """A Node type's `id` as a plain attribute, the global id written once when the object is
    made: Relay's `Node` answers `id` with a resolver, which costs each row of a page a
    resolve info and a resolver call. Declared as `_id`, the name of the field it replaces,
    so the schema is unchanged."""
    return strawberry.field(name="id", description="The Globally Unique ID of this object")


def decode_global_id(value: str) -> tuple[str, int] | None:
    """(type name, primary key), or None for anything that is not one of our ids."""
    try:
        type_name, raw_pk = from_base64(value)
    except (ValueError, binascii.Error, UnicodeError):
        return None
    # Only the canonical spelling, so that one row has exactly one id.
    if type_name not in _WHAT or not raw_pk.isascii() or not raw_pk.isdigit():
        return None
    pk = int(raw_pk)
    if str(pk) != raw_pk or not 0 < pk <= _MAX_PK:
        return None
    return type_name, pk


def pk_of(value: str, type_name: str) -> int | None:
    """The primary key a global id names, if it is an id of `type_name`."""
    decoded = decode_global_id(value)
    return decoded[1] if decoded is not None and decoded[0] == type_name else None


def require_pk(value: str, type_name: str) -> int:
    """As `pk_of`, for mutations: an id that names no row of `type_name` is NOT_FOUND."""
    pk = pk_of(value, type_name)
    if pk is None:
        raise not_found(_WHAT[type_name])
    return pk


UserId = Annotated[strawberry.ID, strawberry.argument(description="A User's global id.")]
ApiKeyId = Annotated[strawberry.ID, strawberry.argument(description="An ApiKey's global id.")]
SessionId = Annotated[strawberry.ID, strawberry.argument(description="A Session's global id.")]
PasskeyId = Annotated[strawberry.ID, strawberry.argument(description="A Passkey's global id.")]
InvitationId = Annotated[
    strawberry.ID, strawberry.argument(description="An Invitation's global id.")
]
ServiceAccountId = Annotated[
    strawberry.ID, strawberry.argument(description="A ServiceAccount's global id.")
]
