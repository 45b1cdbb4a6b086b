"""The options of each passkey ceremony (WebAuthn's JSON, from py_webauthn's
`options_to_json`), each with a new one-use challenge (`auth.passkey_challenges`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from webauthn import generate_authentication_options, generate_registration_options, options_to_json
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from auth.passkey_challenges import CEREMONY_TIMEOUT_MS, issue_challenge
from core.config import WebAuthnSettings
from models import User, UserStatus
from models.passkeys import AUTHENTICATION, REGISTRATION, Passkey

USER_HANDLE_BYTES = 32
# Decoy credential ids for emails without passkeys: stable in a process, unguessable.
_DECOY_KEY = secrets.token_bytes(32)


def _options(options: Any) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(options_to_json(options))
    return answer


async def registration_options(webauthn: WebAuthnSettings, user: User) -> dict[str, Any]:
    """PublicKeyCredentialCreationOptions for a new passkey of `user`: their passkeys
    excluded (one authenticator, one passkey), a discoverable credential and user
    verification preferred."""
    existing = await Passkey.filter(user_id=user.id).order_by("id")
    # One handle per user, random (WebAuthn asks for no personal data in it).
    handle = (
        existing[0].user_handle
        if existing
        else bytes_to_base64url(secrets.token_bytes(USER_HANDLE_BYTES))
    )
    challenge = await issue_challenge(REGISTRATION, user_id=user.id, user_handle=handle)
    return _options(
        generate_registration_options(
            rp_id=webauthn.rp_id,
            rp_name=webauthn.rp_name,
            user_id=base64url_to_bytes(handle),
            user_name=user.email,
            user_display_name=user.display_name,
            challenge=challenge,
            timeout=CEREMONY_TIMEOUT_MS,
            exclude_credentials=[_descriptor(each) for each in existing],
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
        )
    )


async def authentication_options(
    webauthn: WebAuthnSettings, *, user: User | None, email_user: User | None, email: str | None
) -> dict[str, Any]:
    """PublicKeyCredentialRequestOptions. `user`: the signed-in user proving a second
    factor (their passkeys allowed, the challenge bound to them). Otherwise a passwordless
    sign-in, which needs user verification: with an email, the passkeys of `email_user`
    (the user it names, if any and active) or, when it names nobody with passkeys, a decoy,
    so that the answer never tells which emails exist."""
    if user is not None:
        allowed = [_descriptor(each) for each in await Passkey.filter(user_id=user.id)]
        challenge = await issue_challenge(AUTHENTICATION, user_id=user.id)
        verification = UserVerificationRequirement.PREFERRED
    else:
        allowed = []
        if email is not None:
            owned = (
                await Passkey.filter(user_id=email_user.id)
                if email_user is not None and email_user.status == UserStatus.ACTIVE
                else []
            )
            allowed = [_descriptor(each, with_transports=False) for each in owned]
            allowed = allowed or [_decoy(email)]
        challenge = await issue_challenge(AUTHENTICATION)
        verification = UserVerificationRequirement.REQUIRED
    return _options(
        generate_authentication_options(
            rp_id=webauthn.rp_id,
            challenge=challenge,
            timeout=CEREMONY_TIMEOUT_MS,
            allow_credentials=allowed,
            user_verification=verification,
        )
    )


# Helpers.


def _descriptor(passkey: Passkey, *, with_transports: bool = True) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(each) for each in passkey.transport_list]
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id),
        transports=transports if with_transports and transports else None,
    )


def _decoy(email: str) -> PublicKeyCredentialDescriptor:
    digest = hmac.new(_DECOY_KEY, email.strip().lower().encode(), hashlib.sha256).digest()
    return PublicKeyCredentialDescriptor(id=digest)
