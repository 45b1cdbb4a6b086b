"""RFC 6238 codes (SHA-1, 6 digits, 30-second steps) through pyotp, and the enrolment's
`otpauth://` URI and QR code, drawn on the server (segno: no image library, no network)."""

from __future__ import annotations

import hmac
import io
from datetime import datetime

import pyotp
import segno

DIGITS = 6
STEP_SECONDS = 30
# One step either side of the server's clock: a phone a little slow or fast, or a code
# typed just as it changed.
DRIFT_STEPS = 1


def new_secret() -> str:
    """160 random bits in base32, the length RFC 4226 recommends for SHA-1."""
    return pyotp.random_base32(length=32)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return _totp(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as an SVG document an authenticator app can scan from the screen."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, border=4, xmldecl=False)
    return out.getvalue().decode()


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code `code` is, within the drift allowed around `at`; None for
    a wrong code. The caller accepts the step only once (see models.mfa.TotpFactor)."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = _totp(secret)
    current = totp.timecode(at)
    found = None
    # Every candidate is compared, in constant time, whichever matches.
    for step in (current, current - DRIFT_STEPS, current + DRIFT_STEPS):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found
