"""Cursor (keyset) pagination, forward (`first`, `after`) and backward (`last`, `before`): by
primary key by default, or by a chosen column with the id breaking ties. Each page is an
index range scan, so its cost does not grow with the page number, and rows inserted or
deleted meanwhile neither repeat nor skip a row.

The statements are written here rather than through the ORM's query builder: in py-spy
profiles of a 20-row listing, building the query in pypika and hydrating rows through the
queryset were a third of the request. A page is one statement (two when it crosses from a
nullable column's values to its nulls), with the total as a scalar subquery of the same
statement when the caller wants it, so `totalCount` costs no second trip.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, Generic, TypeVar

from tortoise.models import Model

from core.errors import bad_input
from models.reads import read
from resolvers.listing import Condition, Listing, PageStatement, column_value

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
    cursor_of: Callable[[M], str]
    has_next_page: bool
    has_previous_page: bool
    count_all: Callable[[], Awaitable[int]]
    # Counted with the page when asked for and the page was not empty.
    total: int | None = None

    @cached_property
    def cursors(self) -> list[str]:
        # Written when asked for: most pages are read without their edges.
        return [self.cursor_of(item) for item in self.items]


@dataclass(frozen=True)
class PageRequest:
    """`first`/`after` pages forward, `last`/`before` backward; never both ways at once."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @property
    def backward(self) -> bool:
        return self.last is not None or self.before is not None

    def size(self) -> int:
        if self.first is not None and self.last is not None:
            raise bad_input("`first` and `last` cannot be used together.")
        if self.backward:
            if self.first is not None or self.after is not None:
                raise bad_input(
                    "`last` and `before` page backward: use neither `first` nor `after`."
                )
            return _check_size("last", self.last)
        return _check_size("first", self.first)

    @property
    def cursor(self) -> tuple[str, str | None]:
        return ("before", self.before) if self.backward else ("after", self.after)


def _check_size(name: str, size: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if size is None else size
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_input(f"`{name}` must be between 1 and {MAX_PAGE_SIZE}.")
    return size


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _unb64(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor.encode()).decode()


def encode_cursor(kind: str, pk: int) -> str:
    return _b64(f"{kind}:{pk}")


def _not_a_cursor(argument: str) -> Exception:
    return bad_input(f"`{argument}` is not a cursor of this list in this order.")


def decode_cursor(kind: str, cursor: str, argument: str = "after") -> int:
    try:
        label, _, value = _unb64(cursor).partition(":")
        pk = int(value)
        if label != kind or not 0 < pk <= _MAX_PK:
            raise ValueError(value)
    except (ValueError, binascii.Error, UnicodeError):
        raise _not_a_cursor(argument) from None
    return pk


def _encode_ordered_cursor(kind: str, ordering: Ordering, row: Model) -> str:
    value = getattr(row, ordering.sort.column)
    if isinstance(value, datetime):
        value = value.isoformat()
    return _b64(json.dumps([kind, ordering.sort.field, ordering.direction, value, row.pk]))


def _decode_ordered_cursor(
    kind: str, ordering: Ordering, cursor: str, argument: str
) -> tuple[Any, int]:
    """(sort value, id) of the row a cursor points at. A cursor of another list or of
    another ordering is refused: its position means nothing here."""
    try:
        label, field_name, direction, value, pk = json.loads(_unb64(cursor))
        if (label, field_name, direction) != (kind, ordering.sort.field, ordering.direction):
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
        raise _not_a_cursor(argument) from None
    return value, pk


@dataclass(frozen=True)
class _Segment:
    """A run of the list read by one range scan: the rows with a value in the sort column
    (or every row, with no sort column), or the rows whose value is null, by id."""

    column: str | None
    descending: bool
    condition: str | None = None


def _segments(ordering: Ordering | None, newest_first: bool) -> list[_Segment]:
    if ordering is None:
        return [_Segment(None, newest_first)]
    column, descending = ordering.sort.column, ordering.descending
    if not ordering.sort.nullable:
        return [_Segment(column, descending)]
    # Two range scans rather than one ORDER BY: SQLite and PostgreSQL place nulls
    # differently, and each scan here is a plain walk of the (column, id) index on both.
    return [
        _Segment(column, descending, f'm."{column}" IS NOT NULL'),
        _Segment(None, descending, f'm."{column}" IS NULL'),
    ]


async def paginate(
    listing: Listing[M],
    request: PageRequest,
    *,
    kind: str,
    newest_first: bool,
    ordering: Ordering | None = None,
    with_total: bool = False,
) -> Page[M]:
    size = request.size()
    argument, cursor = request.cursor
    position: tuple[Any, int] | None = None
    if cursor is not None:
        position = (
            (None, decode_cursor(kind, cursor, argument))
            if ordering is None
            else _decode_ordered_cursor(kind, ordering, cursor, argument)
        )
    statement = PageStatement(listing)

    segments = _segments(ordering, newest_first)
    # The segment the walk starts in: the cursor's, else the first in the walk's direction.
    start = len(segments) - 1 if request.backward else 0
    if position is not None:
        start = 1 if len(segments) == 2 and position[0] is None else 0
    order = list(enumerate(segments))
    if request.backward:
        order = [(index, segment) for index, segment in reversed(order) if index <= start]
    else:
        order = [(index, segment) for index, segment in order if index >= start]

    limit = size + 1
    rows: list[Any] = []
    total: int | None = None
    for index, segment in order:
        descending = segment.descending != request.backward
        beyond, direction = ("<", "DESC") if descending else (">", "ASC")
        extra = [] if segment.condition is None else [Condition(segment.condition)]
        if position is not None and index == start:
            value, pk = position
            if segment.column is None:
                extra.append(Condition(f'm."id" {beyond} ?', (pk,)))
            else:
                value = column_value(listing, segment.column, value)
                extra.append(
                    Condition(
                        f'm."{segment.column}" {beyond} ? OR '
                        f'(m."{segment.column}" = ? AND m."id" {beyond} ?)',
                        (value, value, pk),
                    )
                )
        order_by = f'm."id" {direction}'
        if segment.column is not None:
            order_by = f'm."{segment.column}" {direction}, {order_by}'
        counting = with_total and total is None
        sql, parameters = statement.page(extra, order_by, limit - len(rows), counting)
        found = await read(sql, parameters)
        if counting and found:
            total = int(tuple(found[0])[-1])
        rows += found
        if len(rows) >= limit:
            break

    items = statement.hydrate(rows[:size])
    more = len(rows) > size
    if request.backward:
        items.reverse()

    async def count_all() -> int:
        sql, parameters = statement.count()
        found = await read(sql, parameters)
        return int(next(iter(found[0])))

    def cursor_of(item: M) -> str:
        if ordering is None:
            return encode_cursor(kind, item.pk)
        return _encode_ordered_cursor(kind, ordering, item)

    return Page(
        items=items,
        cursor_of=cursor_of,
        has_next_page=cursor is not None if request.backward else more,
        has_previous_page=more if request.backward else cursor is not None,
        count_all=count_all,
        total=total,
    )
