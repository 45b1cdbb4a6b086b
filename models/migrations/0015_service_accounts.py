from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from core.enums import KeyOwnerType, UserStatus


class Migration(migrations.Migration):
    dependencies = [("models", "0014_invitations")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ServiceAccount",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("description", fields.TextField(null=True, unique=False)),
                ("roles_encoded", fields.CharField(max_length=64)),
                (
                    "status",
                    fields.CharEnumField(
                        default=UserStatus.ACTIVE,
                        description="ACTIVE: ACTIVE\nINACTIVE: INACTIVE",
                        enum_type=UserStatus,
                        max_length=16,
                    ),
                ),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="created_service_accounts",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={"table": "service_accounts", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.AddField(
            model_name="ApiKey",
            name="owner_type",
            field=fields.CharEnumField(
                default=KeyOwnerType.USER,
                description="USER: USER\nSERVICE_ACCOUNT: SERVICE_ACCOUNT",
                db_default=KeyOwnerType.USER,
                enum_type=KeyOwnerType,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="ApiKey",
            name="service_account",
            field=fields.ForeignKeyField(
                "models.ServiceAccount",
                source_field="service_account_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="api_keys",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddIndex(
            model_name="ApiKey",
            index=Index(fields=["service_account_id", "id"]),
        ),
    ]
