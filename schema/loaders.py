"""Per-request DataLoaders: built in `get_context`, so their cache lasts one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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


@dataclass
class Loaders:
    user_by_id: UserByIdLoader = field(default_factory=UserByIdLoader)
    api_key_by_id: ApiKeyByIdLoader = field(default_factory=ApiKeyByIdLoader)
    api_key_usage: ApiKeyUsageLoader = field(default_factory=ApiKeyUsageLoader)
    service_account_by_id: ServiceAccountByIdLoader = field(
        default_factory=ServiceAccountByIdLoader
    )
    invitation_by_id: InvitationByIdLoader = field(default_factory=InvitationByIdLoader)
    mfa_methods_by_user: MfaMethodsByUserLoader = field(default_factory=MfaMethodsByUserLoader)
