"""Calls per key, per hour, day and month, by GraphQL operation and outcome."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.api_keys import ApiKey

# The name recorded for an operation without one (`{ me { id } }`): GraphQL names cannot
# hold parentheses, so it never collides with a real name.
ANONYMOUS_OPERATION = "(anonymous)"
MAX_OPERATION_LENGTH = 100
OK = "OK"


class ApiKeyUsageRollup(Model):
    # One row per key, granularity, bucket, operation and outcome. Written only by the call
    # counter's group commit (an upsert adding to `calls`) and deleted by pruning.

    id = fields.BigIntField(primary_key=True)
    api_key: fields.ForeignKeyRelation[ApiKey] = fields.ForeignKeyField(
        "models.ApiKey", related_name="usage_rollups", on_delete=fields.CASCADE
    )
    granularity = fields.CharField(max_length=5)  # HOUR, DAY or MONTH
    bucket_start = fields.DatetimeField()  # UTC, the start of the hour, day or month
    operation = fields.CharField(max_length=MAX_OPERATION_LENGTH)
    outcome = fields.CharField(max_length=32)
    calls = fields.BigIntField(default=0)

    api_key_id: int

    class Meta:
        table = "api_key_usage_rollups"
        unique_together = (("api_key", "granularity", "bucket_start", "operation", "outcome"),)
        # Every key's series and pruning read by granularity and time.
        indexes = (Index(fields=["granularity", "bucket_start"]),)
