from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0003_keys")]

    initial = False

    operations = [
        ops.CreateModel(
            name="RateLimitCounter",
            fields=[
                (
                    "bucket",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=255),
                ),
                ("hits", fields.BigIntField(default=0)),
                ("expires_at", fields.FloatField(db_index=True)),
            ],
            options={"table": "rate_limit_counters", "app": "models", "pk_attr": "bucket"},
            bases=["Model"],
        ),
    ]
