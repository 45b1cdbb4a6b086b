"""Real rows made through the domain functions (real Argon2 hashes, real key secrets), and
the global ids the API shows for them."""

from __future__ import annotations

from datetime import datetime

from auth.principal import Principal
from models import ApiKey, Role, Scope, ServiceAccount, User, UserStatus
from resolvers import api_keys, service_accounts, users
from resolvers.key_rules import Refill
from schema.ids import API_KEY, SERVICE_ACCOUNT, USER, decode_global_id, global_id

# Every password a test sets passes the policy (auth/password_policy.py): at least 12
# characters, not common, not containing the email's local part.
PASSWORD = "correct horse battery staple"

_counter = iter(range(1, 1_000_000))


async def make_user(
    *,
    roles: tuple[Role, ...] = (Role.ADMIN,),
    email: str | None = None,
    status: UserStatus = UserStatus.ACTIVE,
    password: str = PASSWORD,
    display_name: str | None = None,
) -> User:
    number = next(_counter)
    user = await users.create_user(
        None,
        email=email or f"user{number}@example.com",
        display_name=display_name or f"User {number}",
        password=password,
        roles=list(roles),
    )
    if status != UserStatus.ACTIVE:
        user.status = status
        await user.save(update_fields=["status"])
    return user


async def make_api_key(
    owner: User,
    *,
    scopes: tuple[Scope, ...] = (Scope.READ,),
    name: str = "automation",
    expires_at: datetime | None = None,
    service_account: ServiceAccount | None = None,
    rate_limit_per_minute: int | None = None,
    allowed_cidrs: list[str] | None = None,
    permissions: list[str] | None = None,
    remaining: int | None = None,
    refill: Refill | None = None,
) -> tuple[ApiKey, str]:
    """A key `owner` makes: for themselves, or for `service_account` (then `owner` must be
    a super-admin, as the API requires)."""
    created = await api_keys.create_api_key(
        Principal(user=owner),
        name=name,
        scopes=list(scopes),
        expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute,
        allowed_cidrs=allowed_cidrs,
        permissions=permissions,
        remaining=remaining,
        refill=refill,
        service_account_id=None if service_account is None else service_account.id,
    )
    return created.api_key, created.secret


async def make_service_account(
    creator: User,
    *,
    roles: tuple[Role, ...] = (Role.READ_ONLY,),
    name: str | None = None,
    description: str | None = None,
) -> ServiceAccount:
    return await service_accounts.create_service_account(
        Principal(user=creator),
        name=name or f"robot {next(_counter)}",
        description=description,
        roles=list(roles),
    )


def password_of_length(length: int) -> str:
    """A password of exactly `length` characters that passes the policy when long enough:
    not one character repeated, which the policy refuses as common."""
    words = "violet lantern orbit 42 "
    return (words * (length // len(words) + 1))[:length]


def gid(row: User | ApiKey | ServiceAccount) -> str:
    """The API's global id of a row, as `id` fields show it and id arguments take it."""
    if isinstance(row, ServiceAccount):
        return global_id(SERVICE_ACCOUNT, row.id)
    return global_id(USER if isinstance(row, User) else API_KEY, row.id)


def pk(global_id: str) -> int:
    """The primary key behind a global id the API returned."""
    decoded = decode_global_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]
