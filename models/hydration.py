"""Models built from the value tuples of a hand-written SELECT (resolvers.listing), exactly
as Tortoise's `Model._init_from_db` builds them, without its cost per row: a keyword dict,
a `setattr` per column and a `to_python_value` call per column even for a null. In
profiles of a 20-row listing those were a tenth of the request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from tortoise import fields, timezone
from tortoise.fields import data
from tortoise.fields.data import CharEnumFieldInstance
from tortoise.models import Model
from tortoise.timezone import get_default_timezone, get_use_tz

M = TypeVar("M", bound=Model)

_Converter = Callable[[Any], Any]


class RowReader(Generic[M]):
    """Builds `model` instances from rows whose values are `columns`, in that order (the
    order `_init_from_db` sets them in, so the instances are alike to the last attribute)."""

    def __init__(self, model: type[M]) -> None:
        meta = model._meta
        self.model = model
        # A copy: the ORM refills its own lists when it starts on another database.
        self.layout = tuple(list(fields) for fields in _layout(model))
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
                converted.append((index, attribute, _converter(field), keeps_null))
        self._converted = converted
        self._projections: dict[str, str] = {}

    def projection(self, alias: str) -> str:
        """The columns as a SELECT lists them from the table aliased `alias`."""
        sql = self._projections.get(alias)
        if sql is None:
            sql = self._projections[alias] = ", ".join(f'{alias}."{c}"' for c in self.columns)
        return sql

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


def _converter(field: Any) -> _Converter:
    """The field's `to_python_value`, with the common cases of the two kinds of field every
    listed row has several of written out: half the cost of a page's conversions."""
    if type(field) is fields.DatetimeField:
        return _datetime_converter(field)
    if type(field) is CharEnumFieldInstance:
        return _enum_converter(field)
    return cast(_Converter, field.to_python_value)


def _datetime_converter(field: fields.DatetimeField[Any]) -> _Converter:
    general = field.to_python_value

    def convert(value: Any) -> Any:
        # As `DatetimeField.to_python_value` with `use_tz`, for a datetime or its text.
        if not get_use_tz():
            return general(value)
        if type(value) is str:
            value = data.parse_datetime(value)  # type: ignore[attr-defined]  # the ORM's parser
        elif type(value) is not datetime:
            return general(value)
        if value.utcoffset() is None:
            return timezone.make_aware(value)
        return value.astimezone(get_default_timezone())

    return convert


def _enum_converter(field: CharEnumFieldInstance) -> _Converter:
    enum_type = field.enum_type
    members = enum_type._value2member_map_

    def convert(value: Any) -> Any:
        # The lookup `enum_type(value)` makes first, without the call.
        member = members.get(value)
        return enum_type(value) if member is None else member

    return convert


def _layout(model: type[Model]) -> tuple[list[tuple[str, str, Any]], ...]:
    """Which columns the ORM converts how: it decides per database when it starts, so a
    reader made for another database's layout is made again."""
    meta = model._meta
    return meta.db_native_fields, meta.db_default_fields, meta.db_complex_fields


_READERS: dict[type[Model], RowReader[Any]] = {}


def row_reader(model: type[M]) -> RowReader[M]:
    reader = _READERS.get(model)
    if reader is None or reader.layout != _layout(model):
        reader = _READERS[model] = RowReader(model)
    return reader
