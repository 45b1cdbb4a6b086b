from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0013_usage_rollups")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("email", fields.CharField(db_index=True, max_length=320)),
                ("pending_email", fields.CharField(null=True, unique=True, max_length=320)),
                ("display_name", fields.CharField(max_length=200)),
                ("roles_encoded", fields.CharField(max_length=64)),
                (
                    "invited_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="invited_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="invitations_sent",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "accepted_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "accepted_user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="accepted_user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="invitations_accepted",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={"table": "invitations", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
