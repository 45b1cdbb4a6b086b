from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from core.enums import Role, UserStatus
from models.users import decode_roles

if TYPE_CHECKING:
    from models.users import User


class ServiceAccount(Model):
    # An owner of API keys that is not a person: it has roles, as users do, but no
    # password, so it never signs in; its keys act as it, and outlive whoever made them.

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    description = fields.TextField(null=True)
    roles_encoded = fields.CharField(max_length=64)
    status = fields.CharEnumField(UserStatus, max_length=16, default=UserStatus.ACTIVE)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="created_service_accounts",
        null=True,
        on_delete=fields.SET_NULL,
    )

    created_by_id: int | None

    class Meta:
        table = "service_accounts"

    @property
    def roles(self) -> list[Role]:
        return decode_roles(self.roles_encoded)

    @property
    def strongest_role(self) -> Role | None:
        return max(self.roles, key=lambda role: role.rank, default=None)

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    def __str__(self) -> str:
        return self.name
