"""Passkeys (WebAuthn) through py_webauthn: the checks of what the browser answers (the
options it answers are made in `auth.passkey_options`).

Every refusal of an assertion is the same `PasskeyRefused` (UNAUTHENTICATED, reason
`PASSKEY_REFUSED`), whatever was wrong: an unknown credential, a used or ended challenge,
another origin or relying party, a bad signature, a sign count that went back (a cloned
authenticator), an inactive user. Only `why` (for the audit log) tells them apart. Failures
count with the sign-in's own counters (`auth.throttle`), per account and address.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from webauthn import (
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorTransport,
    RegistrationCredential,
)

from auth.passkey_challenges import take_challenge
from auth.runtime import current, password_attempt
from core.clock import utcnow
from core.config import WebAuthnSettings
from core.errors import ErrorCode, GatehouseError, forbidden
from models import User, UserStatus
from models.passkeys import AUTHENTICATION, REGISTRATION, Passkey

PASSKEY_REFUSED = "PASSKEY_REFUSED"
PASSKEYS_NOT_CONFIGURED = "PASSKEYS_NOT_CONFIGURED"
_TRANSPORTS = frozenset(each.value for each in AuthenticatorTransport)
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError)


class PasskeyRefused(GatehouseError):  # noqa: N818 - names the refusal, like the codes
    def __init__(self, why: str, *, code: ErrorCode = ErrorCode.UNAUTHENTICATED) -> None:
        super().__init__(code, "The passkey could not be verified.", reason=PASSKEY_REFUSED)
        self.why = why


def require_enabled(webauthn: WebAuthnSettings) -> None:
    if not webauthn.enabled:
        raise forbidden(
            "Passkeys are off: the server's WEBAUTHN_RP_ID is not set.",
            reason=PASSKEYS_NOT_CONFIGURED,
        )


# Registration.


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str
    public_key: str
    sign_count: int
    user_handle: str
    transports: str


async def verify_registration(
    webauthn: WebAuthnSettings, user: User, credential: object
) -> NewPasskey:
    """The passkey `credential` (navigator.credentials.create()'s answer as JSON) makes,
    once its challenge, origin, relying party and attestation are right; else
    `PasskeyRefused` (BAD_USER_INPUT: the session is fine, the answer is not)."""
    try:
        parsed = parse_registration_credential_json(_as_json_object(credential))
        challenge = parse_client_data_json(parsed.response.client_data_json).challenge
    except _MALFORMED:
        raise PasskeyRefused("malformed", code=ErrorCode.BAD_USER_INPUT) from None
    taken = await take_challenge(challenge, REGISTRATION, user_id=user.id)
    if taken is None or taken.user_handle is None:
        raise PasskeyRefused("unknown_challenge", code=ErrorCode.BAD_USER_INPUT)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=taken.challenge,
            expected_rp_id=webauthn.rp_id,
            expected_origin=list(webauthn.origins),
        )
    except _MALFORMED:
        raise PasskeyRefused("invalid_attestation", code=ErrorCode.BAD_USER_INPUT) from None
    return NewPasskey(
        credential_id=_b64(verified.credential_id),
        public_key=_b64(verified.credential_public_key),
        sign_count=verified.sign_count,
        user_handle=taken.user_handle,
        transports=",".join(_transports(parsed)),
    )


def _transports(credential: RegistrationCredential) -> list[str]:
    given = credential.response.transports or []
    return sorted({str(each.value) for each in given if each.value in _TRANSPORTS})


# Sign-in.


async def verify_assertion(
    webauthn: WebAuthnSettings,
    credential: object,
    *,
    user: User | None,
    client_address: str | None,
) -> Passkey:
    """The passkey that signed `credential` (navigator.credentials.get()'s answer as JSON),
    its sign count and last use updated; else `PasskeyRefused`. `user`: the user whose
    second factor this must be (a challenge bound to them or to nobody); None: a
    passwordless sign-in (a challenge bound to nobody), which needs user verification."""
    try:
        parsed = parse_authentication_credential_json(_as_json_object(credential))
        challenge = parse_client_data_json(parsed.response.client_data_json).challenge
    except _MALFORMED:
        raise PasskeyRefused("malformed") from None
    passkey = await Passkey.get_or_none(credential_id=parsed.id).prefetch_related("user")
    owner = passkey.user if passkey is not None else None
    # Counted under the owner's email, as a password guess would be; an unknown credential
    # under its id, and the address either way.
    subject = owner.email if owner is not None else "passkey:" + parsed.id[:200]
    async with password_attempt(subject, client_address) as attempt:
        try:
            checked = await _check(webauthn, parsed, challenge, passkey, user)
        except PasskeyRefused:
            await attempt.failed()
            raise
        await attempt.succeeded()
    return checked


async def _check(
    webauthn: WebAuthnSettings,
    parsed: AuthenticationCredential,
    challenge: bytes,
    passkey: Passkey | None,
    user: User | None,
) -> Passkey:
    # The challenge goes first, whatever else is wrong: one answer, one try.
    taken = await take_challenge(
        challenge, AUTHENTICATION, user_id=None if user is None else user.id, unbound_too=True
    )
    if taken is None:
        raise PasskeyRefused("unknown_challenge")
    if passkey is None:
        raise PasskeyRefused("unknown_credential")
    if user is not None and passkey.user_id != user.id:
        raise PasskeyRefused("another_users_passkey")
    handle = parsed.response.user_handle
    if handle is not None and not hmac.compare_digest(_b64(handle), passkey.user_handle):
        raise PasskeyRefused("wrong_user_handle")
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=taken.challenge,
            expected_rp_id=webauthn.rp_id,
            expected_origin=list(webauthn.origins),
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=user is None,
        )
    except _MALFORMED:
        raise PasskeyRefused(_why_invalid(parsed, passkey, user is None)) from None
    if passkey.user.status != UserStatus.ACTIVE:
        raise PasskeyRefused("inactive")
    now = utcnow()
    # Conditional on the count read: of two answers racing with the same count, one wins.
    updated = await Passkey.filter(id=passkey.id, sign_count=passkey.sign_count).update(
        sign_count=verified.new_sign_count, last_used_at=now
    )
    if updated != 1:
        raise PasskeyRefused("sign_count_regression")
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    return passkey


def _why_invalid(parsed: AuthenticationCredential, passkey: Passkey, needs_uv: bool) -> str:
    try:
        data = parse_authenticator_data(parsed.response.authenticator_data)
    except _MALFORMED:
        return "malformed"
    if (data.sign_count > 0 or passkey.sign_count > 0) and data.sign_count <= passkey.sign_count:
        return "sign_count_regression"
    if needs_uv and not data.flags.uv:
        return "user_not_verified"
    return "invalid_assertion"


async def verify_passkey_for(
    user: User,
    credential: object,
    *,
    client_address: str | None = None,
    webauthn: WebAuthnSettings | None = None,
) -> Passkey:
    """A second factor (verifyMfa's `passkey`): the passkey of `user` that signed
    `credential`, or `PasskeyRefused` (UNAUTHENTICATED, reason PASSKEY_REFUSED; its `why`
    is for the audit log). The options come from `beginPasskeyLogin` called with the
    user's session (or without any credential)."""
    settings = webauthn or current().settings.webauthn
    require_enabled(settings)
    return await verify_assertion(settings, credential, user=user, client_address=client_address)


async def has_passkeys(user_id: int) -> bool:
    """For `mfa_methods`: PASSKEY is one when the user has one."""
    return await Passkey.filter(user_id=user_id).exists()


async def delete_passkeys_of(user_id: int) -> int:
    """For resetMfa: every passkey of the user goes."""
    return await Passkey.filter(user_id=user_id).delete()


# Helpers.


def _b64(value: bytes) -> str:
    return bytes_to_base64url(value)


def _as_json_object(credential: object) -> str | dict[str, Any]:
    if isinstance(credential, str | dict):
        return credential
    raise ValueError("a credential is a JSON object")
