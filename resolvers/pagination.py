"""Cursor pagination over a queryset ordered by primary key (stable and index-backed)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from core.errors import bad_input

M = TypeVar("M", bound=Model)
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    count_all: Callable[[], Awaitable[int]]


def encode_cursor(kind: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode()


def decode_cursor(kind: str, cursor: str) -> int:
    try:
        label, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        pk = int(value)
        if label != kind or not 0 < pk < 2**63:
            raise ValueError(value)
    except (ValueError, binascii.Error, UnicodeError):
        raise bad_input("`after` is not a cursor of this list.") from None
    return pk


async def paginate(
    queryset: QuerySet[M], *, kind: str, first: int | None, after: str | None, newest_first: bool
) -> Page[M]:
    first = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise bad_input(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    filtered = queryset
    page = queryset
    if after is not None:
        after_pk = decode_cursor(kind, after)
        page = page.filter(id__lt=after_pk) if newest_first else page.filter(id__gt=after_pk)
    rows = await page.order_by("-id" if newest_first else "id").limit(first + 1)
    items = rows[:first]
    return Page(
        items=items,
        cursors=[encode_cursor(kind, item.pk) for item in items],
        has_next_page=len(rows) > first,
        has_previous_page=after is not None,
        count_all=filtered.count,
    )
