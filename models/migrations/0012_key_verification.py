from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0011_passkeys")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ApiKey",
            name="disabled_at",
            field=fields.DatetimeField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name="ApiKey", name="permissions_encoded", field=fields.TextField(null=True)
        ),
        ops.AddField(model_name="ApiKey", name="remaining", field=fields.BigIntField(null=True)),
        ops.AddField(
            model_name="ApiKey", name="refill_amount", field=fields.BigIntField(null=True)
        ),
        ops.AddField(
            model_name="ApiKey",
            name="refill_interval",
            field=fields.CharField(max_length=16, null=True),
        ),
        ops.AddField(
            model_name="ApiKey", name="refilled_at", field=fields.DatetimeField(null=True)
        ),
    ]
