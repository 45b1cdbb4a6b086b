from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0008_webhook_ordering")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Session", name="last_seen_at", field=fields.DatetimeField(null=True)
        ),
        ops.AddField(
            model_name="Session",
            name="client_address",
            field=fields.CharField(max_length=64, null=True),
        ),
        ops.AddField(
            model_name="Session",
            name="user_agent",
            field=fields.CharField(max_length=512, null=True),
        ),
        ops.AddField(
            model_name="Session", name="mfa_verified_at", field=fields.DatetimeField(null=True)
        ),
        ops.AddField(
            model_name="Session",
            name="restriction",
            field=fields.CharField(max_length=32, null=True),
        ),
        ops.AddField(
            model_name="User",
            name="must_change_password",
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
