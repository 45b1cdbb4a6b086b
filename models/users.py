from __future__ import annotations

import functools
from collections.abc import Iterable

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model

from core.enums import Role, UserStatus


def encode_roles(roles: Iterable[Role]) -> str:
    # Delimited on both sides so that a filter for ",ADMIN," never matches SUPER_ADMIN.
    ordered = sorted(set(roles), key=lambda role: -role.rank)
    return "," + ",".join(ordered) + ","


def decode_roles(encoded: str) -> list[Role]:
    # A new list each time (callers may change theirs) from the few spellings there are:
    # every permission check of every row decodes the caller's roles.
    return list(_decoded_roles(encoded))


@functools.lru_cache(maxsize=64)
def _decoded_roles(encoded: str) -> tuple[Role, ...]:
    return tuple(Role(name) for name in encoded.strip(",").split(",") if name)


def holds_role(role: Role) -> Q:
    return Q(roles_encoded__contains=f",{role},")


class User(Model):
    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)
    display_name = fields.CharField(max_length=200)
    password_hash = fields.CharField(max_length=255)
    roles_encoded = fields.CharField(max_length=64)
    status = fields.CharEnumField(UserStatus, max_length=16, default=UserStatus.ACTIVE)
    last_login_at = fields.DatetimeField(null=True)
    # A temporary password set by an admin: the next sign-in must change it.
    must_change_password = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"
        # Keyset pagination for each `users(orderBy:)` field: the sort column, then the id
        # that breaks ties. Email is unique, so its own unique index serves.
        indexes = (("display_name", "id"), ("created_at", "id"), ("last_login_at", "id"))

    @property
    def roles(self) -> list[Role]:
        return decode_roles(self.roles_encoded)

    @property
    def strongest_role(self) -> Role | None:
        return max(self.roles, key=lambda role: role.rank, default=None)

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_super_admin(self) -> bool:
        return Role.SUPER_ADMIN in self.roles

    def __str__(self) -> str:
        return self.email
