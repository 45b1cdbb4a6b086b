from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    # After both branches of the graph: key verification (0010) and second factors (0011).
    dependencies = [("models", "0012_key_verification")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ApiKeyUsageRollup",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "api_key",
                    fields.ForeignKeyField(
                        "models.ApiKey",
                        source_field="api_key_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="usage_rollups",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("granularity", fields.CharField(max_length=5)),
                ("bucket_start", fields.DatetimeField()),
                ("operation", fields.CharField(max_length=100)),
                ("outcome", fields.CharField(max_length=32)),
                ("calls", fields.BigIntField(default=0)),
            ],
            options={
                "table": "api_key_usage_rollups",
                "app": "models",
                "unique_together": (
                    ("api_key", "granularity", "bucket_start", "operation", "outcome"),
                ),
                "indexes": [Index(fields=["granularity", "bucket_start"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
