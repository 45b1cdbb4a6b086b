import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ("actor_type", fields.CharField(max_length=16)),
                ("actor_id", fields.BigIntField(null=True, db_index=True)),
                ("client_address", fields.CharField(null=True, max_length=45)),
                ("action", fields.CharField(db_index=True, max_length=64)),
                ("target_type", fields.CharField(null=True, max_length=16)),
                ("target_id", fields.BigIntField(null=True, db_index=True)),
                ("outcome", fields.CharField(max_length=32)),
                (
                    "details",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
            ],
            options={
                "table": "audit_events",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Who did what to which user or key, and how it ended. Written in the same transaction",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="ApiKey",
            name="allowed_cidrs_encoded",
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name="ApiKey",
            name="last_used_ip",
            field=fields.CharField(null=True, max_length=45),
        ),
        ops.AddField(
            model_name="ApiKey",
            name="previous_key_hash",
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name="ApiKey",
            name="previous_secret_expires_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="ApiKey",
            name="rate_limit_per_minute",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="ApiKey",
            name="rate_limited_calls",
            # Released without db_default, this failed on every database holding a key;
            # where it succeeded (on no keys), 0007 adds the missing default on PostgreSQL.
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="ApiKey",
            name="rolled_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
