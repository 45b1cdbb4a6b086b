"""Per-request DataLoaders: built in `get_context`, so their cache lasts one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from strawberry.dataloader import DataLoader

from models import ApiKey, User
from resolvers.api_keys import usage_by_key


async def _load_users(ids: list[int]) -> list[User | None]:
    users = {user.id: user for user in await User.filter(id__in=ids)}
    return [users.get(user_id) for user_id in ids]


class UserByIdLoader(DataLoader[int, User | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_load_users)


async def _load_api_keys(ids: list[int]) -> list[ApiKey | None]:
    api_keys = {api_key.id: api_key for api_key in await ApiKey.filter(id__in=ids)}
    return [api_keys.get(key_id) for key_id in ids]


class ApiKeyByIdLoader(DataLoader[int, ApiKey | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_load_api_keys)


UsageKey = tuple[int, int]  # (api key id, days)
UsageDays = list[tuple[date, int]]


async def _load_usage(keys: list[UsageKey]) -> list[UsageDays]:
    by_days: dict[int, list[int]] = {}
    for key_id, days in keys:
        by_days.setdefault(days, []).append(key_id)
    found: dict[UsageKey, UsageDays] = {}
    for days, key_ids in by_days.items():
        for key_id, usage in (await usage_by_key(key_ids, days)).items():
            found[(key_id, days)] = usage
    return [found[key] for key in keys]


class ApiKeyUsageLoader(DataLoader[UsageKey, UsageDays]):
    def __init__(self) -> None:
        super().__init__(load_fn=_load_usage)


@dataclass
class Loaders:
    user_by_id: UserByIdLoader = field(default_factory=UserByIdLoader)
    api_key_by_id: ApiKeyByIdLoader = field(default_factory=ApiKeyByIdLoader)
    api_key_usage: ApiKeyUsageLoader = field(default_factory=ApiKeyUsageLoader)
