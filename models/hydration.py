"""Models built from the value tuples of a hand-written SELECT (resolvers.listing), exactly
as Tortoise's `Model._init_from_db` builds them, without its cost per row: a keyword dict,
a `setattr` per column and a `to_python_value` call per column even for a null. In
profiles of a 20-row listing those were a tenth of the request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from tortoise.models import Model

M = TypeVar("M", bound=Model)

_Converter = Callable[[Any], Any]


class RowReader(Generic[M]):
    """Builds `model` instances from rows whose values are `columns`, in that order (the
    order `_init_from_db` sets them in, so the instances are alike to the last attribute)."""

    def __init__(self, model: type[M]) -> None:
        meta = model._meta
        self.model = model
        self.layout = _layout(model)
        self.columns = [key for key, _, _ in self._fields()]
        self._attributes = [attribute for _, attribute, _ in self._fields()]
        self._custom_generated_pk = meta.db_pk_column not in meta.generated_db_fields
        converted: list[tuple[int, str, _Converter, bool]] = []
        for index, (_, attribute, field) in enumerate(self._fields()):
            if any(field is each for _, _, each in meta.db_default_fields):
                converted.append((index, attribute, field.field_type, True))
            elif any(field is each for _, _, each in meta.db_complex_fields):
                # A null is left as it is only where the field itself would leave it.
                keeps_null = field.to_python_value(None) is None
                converted.append((index, attribute, field.to_python_value, keeps_null))
        self._converted = converted

    def _fields(self) -> list[tuple[str, str, Any]]:
        meta = self.model._meta
        return [*meta.db_native_fields, *meta.db_default_fields, *meta.db_complex_fields]

    def build(self, values: Sequence[Any]) -> M:
        item = self.model.__new__(self.model)
        state = item.__dict__
        state["_partial"] = False
        state["_saved_in_db"] = True
        state["_custom_generated_pk"] = self._custom_generated_pk
        state["_await_when_save"] = {}
        state.update(zip(self._attributes, values, strict=False))
        for index, attribute, convert, keeps_null in self._converted:
            value = values[index]
            if value is not None or not keeps_null:
                state[attribute] = convert(value)
        return item


def _layout(model: type[Model]) -> tuple[tuple[str, ...], ...]:
    """Which columns the ORM converts how: it decides per database when it starts, so a
    reader made for another database's layout is made again."""
    meta = model._meta
    return tuple(
        tuple(key for key, _, _ in fields)
        for fields in (meta.db_native_fields, meta.db_default_fields, meta.db_complex_fields)
    )


_READERS: dict[type[Model], RowReader[Any]] = {}


def row_reader(model: type[M]) -> RowReader[M]:
    reader = _READERS.get(model)
    if reader is None or reader.layout != _layout(model):
        reader = _READERS[model] = RowReader(model)
    return reader
