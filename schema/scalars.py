"""The built-in DateTime and Date scalars, with a description and `@specifiedBy` URL, so
that code generators know their format without extra configuration."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

RFC_3339_DATE_TIME = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"

DATETIME = dataclasses.replace(
    DateTimeDefinition,
    description="A point in time in UTC, as an RFC 3339 date-time: 2026-11-27T09:30:00+00:00.",
    specified_by_url=RFC_3339_DATE_TIME,
)
DATE = dataclasses.replace(
    DateDefinition,
    description="A calendar day, as an RFC 3339 full-date: 2026-11-27.",
    specified_by_url=RFC_3339_DATE_TIME,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime: DATETIME, date: DATE}
