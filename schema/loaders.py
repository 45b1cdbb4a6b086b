"""Per-request DataLoaders: built in `get_context`, so their cache lasts one request."""

from __future__ import annotations

from datetime import date
from functools import cached_property

from strawberry.dataloader import DataLoader

from core.enums import MfaMethod
from resolvers.api_keys import api_keys_by_ids, usage_by_key
from resolvers.invitations import invitations_by_ids
from resolvers.mfa import methods_by_user_ids
from resolvers.rows import ApiKey, Invitation, ServiceAccount, User
from resolvers.service_accounts import service_accounts_by_ids
from resolvers.users import users_by_ids


class UserByIdLoader(DataLoader[int, User | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=users_by_ids)


class ServiceAccountByIdLoader(DataLoader[int, ServiceAccount | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=service_accounts_by_ids)


class ApiKeyByIdLoader(DataLoader[int, ApiKey | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=api_keys_by_ids)


class InvitationByIdLoader(DataLoader[int, Invitation | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=invitations_by_ids)


class MfaMethodsByUserLoader(DataLoader[int, list[MfaMethod]]):
    def __init__(self) -> None:
        super().__init__(load_fn=methods_by_user_ids)


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


class Loaders:
    """Each made at its first use: most requests need none or one of them."""

    @cached_property
    def user_by_id(self) -> UserByIdLoader:
        return UserByIdLoader()

    @cached_property
    def api_key_by_id(self) -> ApiKeyByIdLoader:
        return ApiKeyByIdLoader()

    @cached_property
    def api_key_usage(self) -> ApiKeyUsageLoader:
        return ApiKeyUsageLoader()

    @cached_property
    def service_account_by_id(self) -> ServiceAccountByIdLoader:
        return ServiceAccountByIdLoader()

    @cached_property
    def invitation_by_id(self) -> InvitationByIdLoader:
        return InvitationByIdLoader()

    @cached_property
    def mfa_methods_by_user(self) -> MfaMethodsByUserLoader:
        return MfaMethodsByUserLoader()
