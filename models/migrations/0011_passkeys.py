from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0010_mfa")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Passkey",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="passkeys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("credential_id", fields.CharField(unique=True, max_length=1400)),
                ("public_key", fields.TextField(unique=False)),
                ("sign_count", fields.BigIntField(default=0, db_default=0)),
                ("user_handle", fields.CharField(max_length=128)),
                ("transports", fields.CharField(default="", db_default="", max_length=200)),
                ("name", fields.CharField(max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "last_used_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={"table": "passkeys", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PasskeyChallenge",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("challenge_hash", fields.CharField(unique=True, max_length=64)),
                ("purpose", fields.CharField(max_length=16)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="passkey_challenges",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("user_handle", fields.CharField(null=True, max_length=128)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={"table": "passkey_challenges", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
