"""Cursor (keyset) pagination: by primary key by default, or by a chosen column with the
id breaking ties. Each page is an index range scan, so its cost does not grow with the
page number, and rows inserted or deleted meanwhile neither repeat nor skip a row."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from core.errors import bad_input

M = TypeVar("M", bound=Model)
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_MAX_PK = 2**63 - 1


class OrderDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True)
class SortColumn:
    """A column a list may be sorted by. `nullable` columns put their nulls last, in both
    directions, on every database."""

    field: str  # the public name, e.g. "LAST_LOGIN_AT"
    column: str
    value_type: type[str] | type[int] | type[datetime]
    nullable: bool = False


@dataclass(frozen=True)
class Ordering:
    sort: SortColumn
    direction: OrderDirection

    @property
    def descending(self) -> bool:
        return self.direction == OrderDirection.DESC


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    count_all: Callable[[], Awaitable[int]]


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _unb64(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor.encode()).decode()


def encode_cursor(kind: str, pk: int) -> str:
    return _b64(f"{kind}:{pk}")


def decode_cursor(kind: str, cursor: str) -> int:
    try:
        label, _, value = _unb64(cursor).partition(":")
        pk = int(value)
        if label != kind or not 0 < pk <= _MAX_PK:
            raise ValueError(value)
    except (ValueError, binascii.Error, UnicodeError):
        raise bad_input("`after` is not a cursor of this list in this order.") from None
    return pk


def _encode_ordered_cursor(kind: str, ordering: Ordering, row: Model) -> str:
    value = getattr(row, ordering.sort.column)
    if isinstance(value, datetime):
        value = value.isoformat()
    return _b64(json.dumps([kind, ordering.sort.field, ordering.direction, value, row.pk]))


def _decode_ordered_cursor(kind: str, ordering: Ordering, cursor: str) -> tuple[Any, int]:
    """(sort value, id) of the row a cursor points after. A cursor of another list or of
    another ordering is refused: its position means nothing here."""
    try:
        label, field, direction, value, pk = json.loads(_unb64(cursor))
        if (label, field, direction) != (kind, ordering.sort.field, ordering.direction):
            raise ValueError(cursor)
        if type(pk) is not int or not 0 < pk <= _MAX_PK:
            raise ValueError(pk)
        if value is None:
            if not ordering.sort.nullable:
                raise ValueError(value)
        elif ordering.sort.value_type is datetime:
            value = datetime.fromisoformat(value)
        elif type(value) is not ordering.sort.value_type:
            raise ValueError(value)
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise bad_input("`after` is not a cursor of this list in this order.") from None
    return value, pk


def _check_first(first: int | None) -> int:
    first = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise bad_input(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    return first


async def paginate(
    queryset: QuerySet[M],
    *,
    kind: str,
    first: int | None,
    after: str | None,
    newest_first: bool,
    ordering: Ordering | None = None,
) -> Page[M]:
    first = _check_first(first)
    if ordering is None:
        page = queryset
        if after is not None:
            after_pk = decode_cursor(kind, after)
            page = page.filter(id__lt=after_pk) if newest_first else page.filter(id__gt=after_pk)
        rows = await page.order_by("-id" if newest_first else "id").limit(first + 1)
        cursors = [encode_cursor(kind, row.pk) for row in rows[:first]]
    else:
        position = None if after is None else _decode_ordered_cursor(kind, ordering, after)
        rows = await _ordered_rows(queryset, ordering, position, first + 1)
        cursors = [_encode_ordered_cursor(kind, ordering, row) for row in rows[:first]]
    return Page(
        items=rows[:first],
        cursors=cursors,
        has_next_page=len(rows) > first,
        has_previous_page=after is not None,
        count_all=queryset.count,
    )


async def _ordered_rows(
    queryset: QuerySet[M], ordering: Ordering, position: tuple[Any, int] | None, limit: int
) -> list[M]:
    """Up to `limit` rows after `position` in (column, id) order, nulls last.

    Written as two explicit range queries, the non-null rows and then the null ones,
    rather than one ORDER BY: SQLite and PostgreSQL place nulls differently, and each
    query here is a plain scan of the (column, id) index on both."""
    column = ordering.sort.column
    beyond = "lt" if ordering.descending else "gt"
    sign = "-" if ordering.descending else ""
    rows: list[M] = []
    after_value, after_pk = position if position is not None else (None, None)
    in_null_part = position is not None and after_value is None

    if not in_null_part:
        values = queryset
        if ordering.sort.nullable:
            values = values.filter(**{f"{column}__isnull": False})
        if position is not None:
            further: dict[str, Any] = {f"{column}__{beyond}": after_value}
            tied_but_further: dict[str, Any] = {column: after_value, f"id__{beyond}": after_pk}
            values = values.filter(Q(**further) | Q(**tied_but_further))
        rows = list(await values.order_by(f"{sign}{column}", f"{sign}id").limit(limit))

    if ordering.sort.nullable and len(rows) < limit:
        nulls = queryset.filter(**{f"{column}__isnull": True})
        if in_null_part:
            nulls = nulls.filter(**{f"id__{beyond}": after_pk})
        rows += await nulls.order_by(f"{sign}id").limit(limit - len(rows))
    return rows
