"""What a list reads, as SQL written here: its table, the row each of its rows points to,
and its filters as conditions with the ORM's own semantics (see resolvers.pagination for
why the ORM does not build these statements)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from tortoise.filters import escape_like
from tortoise.models import Model

from models.hydration import RowReader, row_reader

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Condition:
    """A piece of a WHERE clause over the listed table (aliased `m`), `?` for parameters."""

    sql: str
    parameters: tuple[Any, ...] = ()


def contains(column: str, term: str) -> Condition:
    """Case-insensitive substring match, written as the ORM writes `icontains`."""
    return Condition(
        f"UPPER(CAST(m.\"{column}\" AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'",
        (f"%{escape_like(term)}%",),
    )


def holds_text(column: str, part: str) -> Condition:
    """Case-sensitive substring match (the ORM's `contains`)."""
    return Condition(
        f"CAST(m.\"{column}\" AS VARCHAR) LIKE ? ESCAPE '\\'", (f"%{escape_like(part)}%",)
    )


def db_value(model: type[Model], name: str, value: Any) -> Any:
    """A parameter as the ORM would have written it for the model's field `name`."""
    return model._meta.fields_map[name].to_db_value(value, model)


@dataclass(frozen=True)
class Listing(Generic[M]):
    """What a list reads: rows of `model` matching every condition, optionally each with the
    row its foreign key `related` points to (set on the row as `select_related` would)."""

    model: type[M]
    conditions: tuple[Condition, ...] = ()
    related: str | None = None


@dataclass
class PageStatement(Generic[M]):
    listing: Listing[M]
    reader: RowReader[M] = field(init=False)
    related_reader: RowReader[Any] | None = field(init=False)

    def __post_init__(self) -> None:
        self.reader = row_reader(self.listing.model)
        self.related_reader = None
        if self.listing.related is not None:
            meta = self.listing.model._meta
            related_model = meta.fields_map[self.listing.related].related_model  # type: ignore[attr-defined]
            self.related_reader = row_reader(related_model)

    def _from(self) -> str:
        meta = self.listing.model._meta
        sql = f'FROM "{meta.db_table}" m'
        if self.related_reader is not None and self.listing.related is not None:
            related_meta = self.related_reader.model._meta
            fk_column = meta.fields_db_projection[f"{self.listing.related}_id"]
            sql += (
                f' LEFT JOIN "{related_meta.db_table}" r '
                f'ON r."{related_meta.db_pk_column}" = m."{fk_column}"'
            )
        return sql

    def _where(self, extra: list[Condition]) -> tuple[str, list[Any]]:
        conditions = [*self.listing.conditions, *extra]
        if not conditions:
            return "", []
        sql = " WHERE " + " AND ".join(f"({c.sql})" for c in conditions)
        return sql, [p for c in conditions for p in c.parameters]

    def count(self) -> tuple[str, list[Any]]:
        table = self.listing.model._meta.db_table
        where, parameters = self._where([])
        return f'SELECT COUNT(*) FROM "{table}" m{where}', parameters  # noqa: S608

    def page(
        self, extra: list[Condition], order_by: str, limit: int, with_count: bool
    ) -> tuple[str, list[Any]]:
        columns = [self.reader.projection("m")]
        if self.related_reader is not None:
            columns.append(self.related_reader.projection("r"))
        parameters: list[Any] = []
        if with_count:
            table = self.listing.model._meta.db_table
            where, parameters = self._where([])
            columns.append(f'(SELECT COUNT(*) FROM "{table}" m{where})')  # noqa: S608
        where, page_parameters = self._where(extra)
        sql = f"SELECT {', '.join(columns)} {self._from()}{where} ORDER BY {order_by} LIMIT ?"
        return sql, [*parameters, *page_parameters, limit]

    def hydrate(self, rows: Iterable[Any]) -> list[M]:
        """The page's rows as models. Rows pointing to the same related row share one model
        of it: a page of keys has few creators."""
        if self.related_reader is None:
            return [self.reader.build(tuple(row)) for row in rows]
        related_reader = self.related_reader
        start = len(self.reader.columns)
        end = start + len(related_reader.columns)
        pk_index = start + related_reader.columns.index(related_reader.model._meta.db_pk_column)
        attribute = f"_{self.listing.related}"
        seen: dict[Any, Any] = {}
        items = []
        for row in rows:
            values = tuple(row)
            item = self.reader.build(values)
            related = None
            related_pk = values[pk_index]
            # A LEFT JOIN that found no row: every column null, the key too.
            if related_pk is not None:
                related = seen.get(related_pk)
                if related is None:
                    related = seen[related_pk] = related_reader.build(values[start:end])
            item.__dict__[attribute] = related
            items.append(item)
        return items


def column_value(listing: Listing[Any], column: str, value: Any) -> Any:
    meta = listing.model._meta
    name = next((name for name, db in meta.fields_db_projection.items() if db == column), column)
    return db_value(listing.model, name, value)
