"""The one-use challenges of passkey ceremonies, kept in the database so that any process
can finish a ceremony another began.

A challenge is 32 random bytes, handed to the browser inside the ceremony's options and
signed back by the authenticator. The table keeps only its SHA-256 (a challenge is never
stored, logged or audited in clear): the answer carries the challenge, whose hash finds the
row. Taking a challenge deletes its row, and only the process whose DELETE removed it may
use it, so an answer is accepted once even when two processes receive it at the same time.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from auth.rate_limits import now as limiter_now
from auth.runtime import current
from auth.throttle import address_subject
from core.clock import utcnow
from core.errors import RateLimitedError
from models.passkeys import PasskeyChallenge, delete_ended_challenges

CHALLENGE_BYTES = 32
CHALLENGE_SECONDS = 300
# What the browser is told (milliseconds): less than the challenge lives, so that a user who
# takes the whole time still answers a live challenge.
CEREMONY_TIMEOUT_MS = 240_000
# Challenges anyone may ask for without a credential, per client address and challenge
# lifetime: each is a row until it ends, and a sign-in needs one.
MAX_ANONYMOUS_CHALLENGES = 100


@dataclass(frozen=True)
class TakenChallenge:
    challenge: bytes
    user_id: int | None
    user_handle: str | None


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


async def issue_challenge(
    purpose: str, *, user_id: int | None = None, user_handle: str | None = None
) -> bytes:
    now = utcnow()
    # Ended challenges of everyone go with every new one: rows nobody can use.
    await delete_ended_challenges(now)
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    await PasskeyChallenge.create(
        challenge_hash=_hash(challenge),
        purpose=purpose,
        user_id=user_id,
        user_handle=user_handle,
        expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
    )
    return challenge


async def admit_anonymous_challenge(client_address: str | None) -> None:
    """Refuse (RATE_LIMITED) an address past its share of anonymous challenges."""
    if client_address is None:
        return
    storage = current().limiter.storage
    bucket = f"passkey/challenges/{address_subject(client_address)}"
    if await storage.incr(bucket, CHALLENGE_SECONDS) > MAX_ANONYMOUS_CHALLENGES:
        wait = await storage.get_expiry(bucket) - limiter_now()
        raise RateLimitedError(wait, "Too many passkey sign-ins begun; try again later.")


async def take_challenge(
    challenge: bytes, purpose: str, *, user_id: int | None, unbound_too: bool = False
) -> TakenChallenge | None:
    """The live challenge issued for `purpose` to `user_id` (None: to nobody; with
    `unbound_too`, one issued to nobody also counts), deleted now; None when there is no
    such challenge, it has ended, or another request took it first."""
    row = await PasskeyChallenge.get_or_none(challenge_hash=_hash(challenge), purpose=purpose)
    if row is None:
        return None
    # Deleted whatever else is wrong with it: a challenge is tried once.
    deleted = await PasskeyChallenge.filter(id=row.id).delete()
    if deleted != 1 or row.expires_at <= utcnow():
        return None
    if row.user_id != user_id and not (unbound_too and row.user_id is None):
        return None
    return TakenChallenge(challenge=challenge, user_id=row.user_id, user_handle=row.user_handle)
