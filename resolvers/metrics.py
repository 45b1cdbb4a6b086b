"""The figures on the portal's API Keys page, from a fixed number of aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count, Sum

from core.clock import utcnow
from models import ApiKey, ApiKeyStatus, ApiKeyUsageDay
from resolvers.api_keys import status_filter


@dataclass(frozen=True)
class KeyMetrics:
    total_keys: int
    active_keys: int
    expired_keys: int
    revoked_keys: int
    api_calls_today: int


async def key_metrics() -> KeyMetrics:
    now = utcnow()
    (counts,) = await ApiKey.annotate(
        total=Count("id"),
        revoked=Count("id", _filter=status_filter(ApiKeyStatus.REVOKED, now)),
        expired=Count("id", _filter=status_filter(ApiKeyStatus.EXPIRED, now)),
    ).values("total", "revoked", "expired")
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
    )
