"""One-use recovery codes: ten at a time, each 80 random bits, shown once and kept only as
a SHA-256 digest. With that much entropy a fast hash is as strong as a slow one (nobody can
search 2^80 codes), and it lets a code be found and spent by one indexed, conditional
UPDATE rather than by verifying every stored hash with Argon2."""

from __future__ import annotations

import base64
import hashlib
import secrets

COUNT = 10
_BYTES = 10  # 80 bits: 16 base32 characters
_GROUP = 4


def new_codes() -> list[str]:
    return [_format(base64.b32encode(secrets.token_bytes(_BYTES)).decode()) for _ in range(COUNT)]


def _format(raw: str) -> str:
    lower = raw.lower()
    return "-".join(lower[i : i + _GROUP] for i in range(0, len(lower), _GROUP))


def normalised(code: str) -> str:
    """As typed, in any case, with or without its dashes and spaces."""
    return "".join(code.split()).replace("-", "").lower()


def code_hash(code: str) -> str:
    return hashlib.sha256(normalised(code).encode()).hexdigest()
