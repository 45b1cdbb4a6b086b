"""The figures on the portal's API Keys page, from a fixed number of aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise.functions import Count, Sum

from core.clock import utcnow
from models import ApiKey, ApiKeyStatus, ApiKeyUsageDay
from resolvers.api_keys import expiring_filter, status_filter


@dataclass(frozen=True)
class KeyMetrics:
    total_keys: int
    active_keys: int
    expired_keys: int
    revoked_keys: int
    api_calls_today: int
    expiring_soon: int


async def key_metrics(expiry_warning_days: int = 7) -> KeyMetrics:
    now = utcnow()
    (counts,) = await ApiKey.annotate(
        total=Count("id"),
        revoked=Count("id", _filter=status_filter(ApiKeyStatus.REVOKED, now)),
        expired=Count("id", _filter=status_filter(ApiKeyStatus.EXPIRED, now)),
        expiring=Count("id", _filter=expiring_filter(now, timedelta(days=expiry_warning_days))),
    ).values("total", "revoked", "expired", "expiring")
    (today,) = (
        await ApiKeyUsageDay.filter(day=now.date()).annotate(calls=Sum("calls")).values("calls")
    )
    total, revoked, expired = (int(counts[name] or 0) for name in ("total", "revoked", "expired"))
    return KeyMetrics(
        total_keys=total,
        active_keys=total - revoked - expired,
        expired_keys=expired,
        revoked_keys=revoked,
        api_calls_today=int(today["calls"] or 0),
        expiring_soon=int(counts["expiring"] or 0),
    )
