from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0004_limiter")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ApiCallDay",
            fields=[
                ("day", fields.DateField(primary_key=True, unique=True, db_index=True)),
                ("calls", fields.BigIntField(default=0)),
            ],
            options={"table": "api_call_days", "app": "models", "pk_attr": "day"},
            bases=["Model"],
        ),
        ops.AddIndex(
            model_name="ApiKey",
            index=Index(fields=["expires_at", "revoked_at"]),
        ),
        # Today's figure must not drop to zero on upgrade: sum the per-key rows once.
        ops.RunSQL(
            "INSERT INTO api_call_days (day, calls) "
            "SELECT day, SUM(calls) FROM api_key_usage_days GROUP BY day",
            reverse_sql="DELETE FROM api_call_days",
        ),
    ]
