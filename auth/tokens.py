"""Session tokens, invitation tokens and API keys: random secrets the database sees hashed.

An API key is `gk_` + 43 base62 characters (32 random bytes) + 6 base62 characters of
CRC32 checksum over everything before it, e.g. `gk_4Jb…Qz` (52 characters). The fixed
prefix lets secret scanners find leaked keys; the checksum lets us refuse a mistyped or
truncated key without a database look-up. SHA-256 is the right hash for such secrets:
they carry 256 bits of entropy, so a slow hash would cost every request and buy nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib
from dataclasses import dataclass, field

API_KEY_PREFIX = "gk_"
SESSION_TOKEN_PREFIX = "gs_"  # noqa: S105 - a public prefix, not a secret
INVITATION_TOKEN_PREFIX = "gi_"  # noqa: S105 - a public prefix, not a secret
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RANDOM_LENGTH = 43  # 62**43 > 2**256
_CHECKSUM_LENGTH = 6  # 62**6 > 2**32
API_KEY_PATTERN = re.compile(
    rf"^{API_KEY_PREFIX}[0-9A-Za-z]{{{_RANDOM_LENGTH + _CHECKSUM_LENGTH}}}$"
)
_SESSION_TOKEN_PATTERN = re.compile(rf"^{SESSION_TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}$")
_INVITATION_TOKEN_PATTERN = re.compile(rf"^{INVITATION_TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}$")


@dataclass(frozen=True)
class NewApiKey:
    secret: str = field(repr=False)
    hash: str
    display_prefix: str
    last_four: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _base62(number: int, length: int) -> str:
    digits = []
    for _ in range(length):
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECKSUM_LENGTH)


def generate_api_key() -> NewApiKey:
    body = API_KEY_PREFIX + _base62(int.from_bytes(secrets.token_bytes(32)), _RANDOM_LENGTH)
    secret = body + _checksum(body)
    return NewApiKey(
        secret=secret,
        hash=hash_secret(secret),
        display_prefix=secret[: len(API_KEY_PREFIX) + 4],
        last_four=secret[-4:],
    )


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_PREFIX)


def is_well_formed_api_key(credential: str) -> bool:
    if not API_KEY_PATTERN.match(credential):
        return False
    body, checksum = credential[:-_CHECKSUM_LENGTH], credential[-_CHECKSUM_LENGTH:]
    return secrets.compare_digest(_checksum(body), checksum)


def generate_session_token() -> str:
    return SESSION_TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_well_formed_session_token(credential: str) -> bool:
    return bool(_SESSION_TOKEN_PATTERN.match(credential))


def generate_invitation_token() -> str:
    """URL-safe as it is, so it fits into an invitation link unchanged."""
    return INVITATION_TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_well_formed_invitation_token(token: str) -> bool:
    return bool(_INVITATION_TOKEN_PATTERN.match(token))
