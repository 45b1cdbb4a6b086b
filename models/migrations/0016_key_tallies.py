from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from core.clock import utcnow
from models.key_tallies import install_key_tallies, remove_key_tallies


async def install(_apps: Any, schema_editor: Any) -> None:
    await install_key_tallies(schema_editor.client, utcnow())


async def remove(_apps: Any, schema_editor: Any) -> None:
    await remove_key_tallies(schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [("models", "0015_service_accounts")]

    initial = False

    operations = [
        ops.CreateModel(
            name="KeyTally",
            fields=[
                (
                    "id",
                    fields.IntField(generated=False, primary_key=True, unique=True, db_index=True),
                ),
                ("total_keys", fields.BigIntField(default=0)),
                ("revoked_keys", fields.BigIntField(default=0)),
                ("disabled_keys", fields.BigIntField(default=0)),
                ("expired_keys", fields.BigIntField(default=0)),
                ("expired_disabled_keys", fields.BigIntField(default=0)),
                ("expired_before", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "key_tallies", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.RunPython(install, remove),
    ]
