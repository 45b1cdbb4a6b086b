from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0005_call_totals")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="ApiKey",
            index=Index(fields=["name", "id"]),
        ),
        ops.AddIndex(
            model_name="ApiKey",
            index=Index(fields=["created_at", "id"]),
        ),
        ops.AddIndex(
            model_name="ApiKey",
            index=Index(fields=["last_used_at", "id"]),
        ),
        ops.AddIndex(
            model_name="ApiKey",
            index=Index(fields=["expires_at", "id"]),
        ),
        ops.AddIndex(
            model_name="ApiKey",
            index=Index(fields=["total_calls", "id"]),
        ),
        ops.AddIndex(
            model_name="User",
            index=Index(fields=["display_name", "id"]),
        ),
        ops.AddIndex(
            model_name="User",
            index=Index(fields=["created_at", "id"]),
        ),
        ops.AddIndex(
            model_name="User",
            index=Index(fields=["last_login_at", "id"]),
        ),
    ]
