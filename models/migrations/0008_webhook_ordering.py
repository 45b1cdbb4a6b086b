from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0007_rate_limited_calls_default")]

    initial = False

    operations = [
        ops.AddField(
            model_name="WebhookEvent",
            name="ordering_key",
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
    ]
