"""Rows with ties and nulls in every sortable column, and the order the API must give them:
by the column, ties by id in the same direction, nulls last in both directions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from models import ApiKey, Role, User
from tests.support.factories import gid, make_api_key, make_user

T0 = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)

USER_COLUMNS = {
    "EMAIL": "email",
    "DISPLAY_NAME": "display_name",
    "CREATED_AT": "created_at",
    "LAST_LOGIN_AT": "last_login_at",
}
API_KEY_COLUMNS = {
    "NAME": "name",
    "CREATED_AT": "created_at",
    "LAST_USED_AT": "last_used_at",
    "EXPIRES_AT": "expires_at",
    "TOTAL_CALLS": "total_calls",
}


def expected_order(rows: list[Any], column: str, descending: bool) -> list[str]:
    valued = [row for row in rows if getattr(row, column) is not None]
    nulls = [row for row in rows if getattr(row, column) is None]
    valued.sort(key=lambda row: (getattr(row, column), row.id), reverse=descending)
    nulls.sort(key=lambda row: row.id, reverse=descending)
    return [gid(row) for row in valued + nulls]


async def seed_users() -> None:
    names = ["bob", "Alice", "bob", "Zed", "alice", "bob", "Émile"]
    made = [await make_user(display_name=name, roles=(Role.READ_ONLY,)) for name in names]
    ids = [user.id for user in made]
    # Ties on created_at and on last_login_at, and some who never signed in (null).
    await User.filter(id__in=ids[:3]).update(created_at=T0)
    await User.filter(id__in=ids[3:5]).update(created_at=T0 - timedelta(days=1))
    await User.filter(id__in=ids[0:2]).update(last_login_at=T0 + timedelta(hours=1))
    await User.filter(id=ids[2]).update(last_login_at=T0 - timedelta(hours=1))


async def seed_api_keys(owner: User) -> None:
    names = ["deploy", "Backup", "deploy", "ci", "deploy", "zeta"]
    made = [(await make_api_key(owner, name=name))[0] for name in names]
    ids = [key.id for key in made]
    await ApiKey.filter(id__in=ids[:3]).update(created_at=T0)
    await ApiKey.filter(id__in=ids[1:4]).update(last_used_at=T0 + timedelta(minutes=5))
    await ApiKey.filter(id=ids[5]).update(last_used_at=T0)
    await ApiKey.filter(id__in=ids[0:2]).update(expires_at=T0 + timedelta(days=30))
    await ApiKey.filter(id=ids[4]).update(expires_at=T0 + timedelta(days=3))
    await ApiKey.filter(id__in=ids[2:5]).update(total_calls=7)
    await ApiKey.filter(id=ids[0]).update(total_calls=40)
