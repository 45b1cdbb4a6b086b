"""The figures on the portal's API Keys page, in one statement whose cost grows with
neither the number of keys nor of calls.

What does not depend on the time is tallied by the database (models.key_tallies): every
key, the revoked ones, the disabled ones not revoked, each kept by triggers in the
transaction that changes a key, whoever changes it; so are the live keys that had expired
by the row's mark `expired_before`. The rest is counted at the read over a partial index
holding only the live keys with an expiry, between the mark and `now + expiry_warning_days`:
those that expired since the mark, those expiring soon (and, with a clock behind the mark,
those tallied as expired that are not yet). One snapshot reads the row and the range, so
the figures are exact at the moment of the read, across processes. Once enough keys have
expired past the mark, the read moves it up to now (`advance_expired_before`), so the range
stays about the keys expiring within the warning window, however many keys expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.clock import utcnow
from models import ApiCallDay, ApiKey
from models.key_tallies import (
    LIVE_EXPIRY_FILTER,
    LIVE_EXPIRY_INDEX,
    TALLY_ID,
    advance_expired_before,
)
from models.reads import read


@dataclass(frozen=True)
class KeyMetrics:
    total_keys: int
    active_keys: int
    expired_keys: int
    revoked_keys: int
    api_calls_today: int
    expiring_soon: int


# Each range is one index range whose count SQLite takes from the index alone: since the
# mark (`passed`), up to the mark when the clock is behind it (`pending`), and expiring soon.
_LIVE_KEYS = f"SELECT COUNT(*) FROM api_keys INDEXED_BY WHERE {LIVE_EXPIRY_FILTER}"  # noqa: S608
_PASSED = f"{_LIVE_KEYS} AND expires_at > tally.expired_before AND expires_at <= ?"
_PENDING = f"{_LIVE_KEYS} AND expires_at > ? AND expires_at <= tally.expired_before"
_DISABLED = " AND disabled_at IS NOT NULL"
_KEY_METRICS = f"""
SELECT total_keys, revoked_keys, disabled_keys, expired_keys, expired_disabled_keys,
  (SELECT calls FROM api_call_days WHERE day = ?),
  ({_PASSED}), ({_PASSED}{_DISABLED}), ({_PENDING}), ({_PENDING}{_DISABLED}),
  ({_LIVE_KEYS} AND expires_at > ? AND expires_at <= ?)
FROM key_tallies AS tally WHERE id = ?
"""  # noqa: S608
# Named on SQLite, whose planner without statistics could pick another index of expires_at.
_SQLITE_KEY_METRICS = _KEY_METRICS.replace("INDEXED_BY", f"INDEXED BY {LIVE_EXPIRY_INDEX}")
_POSTGRES_KEY_METRICS = _KEY_METRICS.replace(" INDEXED_BY", "")
# Keys expired past the mark before the read moves it: a few microseconds of range, and a
# write at most once per that many expiries.
ADVANCE_AFTER = 64
_EXPIRES_AT = ApiKey._meta.fields_map["expires_at"]
_DAY = ApiCallDay._meta.fields_map["day"]


async def key_metrics(expiry_warning_days: int = 7) -> KeyMetrics:
    """`expiring_soon` counts active keys expiring within `expiry_warning_days`."""
    now = utcnow()
    moment = _EXPIRES_AT.to_db_value(now, ApiKey)
    soon = _EXPIRES_AT.to_db_value(now + timedelta(days=expiry_warning_days), ApiKey)
    rows = await read(
        _SQLITE_KEY_METRICS,
        [
            _DAY.to_db_value(now.date(), ApiCallDay),
            *(moment, moment, moment, moment),
            *(moment, soon),
            TALLY_ID,
        ],
        postgres=_POSTGRES_KEY_METRICS,
    )
    figures = [int(value or 0) for value in tuple(rows[0])]
    total, revoked, disabled, expired_by_mark, expired_disabled_by_mark, today = figures[:6]
    passed, passed_disabled, pending, pending_disabled, expiring = figures[6:]
    expired = expired_by_mark + passed - pending
    expired_disabled = expired_disabled_by_mark + passed_disabled - pending_disabled
    if passed >= ADVANCE_AFTER:
        await advance_expired_before(now)
    return KeyMetrics(
        total_keys=total,
        # Disabled keys are not active, and not among the other counts either; an expired
        # key is EXPIRED, disabled or not.
        active_keys=total - revoked - expired - (disabled - expired_disabled),
        expired_keys=expired,
        revoked_keys=revoked,
        api_calls_today=today,
        expiring_soon=expiring,
    )
