"""What a restricted session may call: the root fields of each restriction, and the
refusal for everything else. The schema's document guard applies it to every operation
(query, mutation, subscription; GET or POST; trusted documents) before validation; routes
outside GraphQL that accept a session call `refuse_restricted`."""

from __future__ import annotations

from auth.principal import Actor, Principal
from core.enums import SessionRestriction
from core.errors import ErrorCode, GatehouseError

ALLOWED_ROOT_FIELDS: dict[SessionRestriction, frozenset[str]] = {
    # beginPasskeyLogin: the options (bound to the session's user) for verifyMfa's passkey.
    SessionRestriction.MFA_REQUIRED: frozenset({"verifyMfa", "beginPasskeyLogin", "logout"}),
    SessionRestriction.MFA_ENROLLMENT_REQUIRED: frozenset(
        {
            "me",
            "logout",
            "beginTotpEnrollment",
            "confirmTotpEnrollment",
            "beginPasskeyRegistration",
            "finishPasskeyRegistration",
        }
    ),
    SessionRestriction.PASSWORD_CHANGE_REQUIRED: frozenset({"me", "changePassword", "logout"}),
}
# `__typename` reveals nothing; introspection is as open as for a caller without a
# credential (development only: production refuses it to everyone).
ALWAYS_ALLOWED = frozenset({"__typename", "__schema", "__type"})

_MESSAGES = {
    SessionRestriction.MFA_REQUIRED: "Verify your second factor first (verifyMfa).",
    SessionRestriction.MFA_ENROLLMENT_REQUIRED: (
        "Your role requires a second factor: enrol one first (beginTotpEnrollment)."
    ),
    SessionRestriction.PASSWORD_CHANGE_REQUIRED: (
        "Your password is temporary: change it first (changePassword)."
    ),
}


def restriction_error(restriction: SessionRestriction) -> GatehouseError:
    # MFA_REQUIRED: not signed in yet, as far as anything else goes; the others are signed
    # in and refused what they may not do yet.
    code = (
        ErrorCode.UNAUTHENTICATED
        if restriction == SessionRestriction.MFA_REQUIRED
        else ErrorCode.FORBIDDEN
    )
    return GatehouseError(code, _MESSAGES[restriction], reason=restriction.value)


def allows(restriction: SessionRestriction, root_fields: set[str]) -> bool:
    return root_fields <= ALLOWED_ROOT_FIELDS[restriction] | ALWAYS_ALLOWED


def refuse_restricted(actor: Actor) -> None:
    """For routes outside GraphQL: a restricted session may call none of them."""
    if isinstance(actor, Principal) and actor.restriction is not None:
        raise restriction_error(actor.restriction)
