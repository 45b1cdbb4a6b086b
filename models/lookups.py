"""Lookups on every request's path, with their SQL written once per dialect.

Recognising a credential runs on every request, and building its query through the ORM cost
more than running it: in a py-spy profile of `{ me { id email } }` with an API key, half of
the request went to pypika assembling the same SELECT … JOIN again. These statements are
built once, from the models' own column lists, and their rows become model instances through
the ORM's own hydration, so the instances are the ones a queryset would have returned.
(API keys are read as plain rows instead: models.key_rows.)
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from tortoise.models import Model

from models.reads import numbered, read

__all__ = ["RowWithRelated", "numbered"]

M = TypeVar("M", bound=Model)
R = TypeVar("R", bound=Model)


class RowWithRelated(Generic[M, R]):
    """One row of `model` with the row its foreign key points to, found by `where` (columns
    of the model as `m."column"`, parameters as `?`). Rows whose foreign key points nowhere
    are not found. The related instance is also set on the row as `select_related` would."""

    def __init__(self, model: type[M], foreign_key: str, related: type[R], where: str) -> None:
        self.model, self.related, self.foreign_key, self.where = model, related, foreign_key, where
        self._sql = ""
        self._model_columns: list[str] = []
        self._related_columns: list[str] = []

    def _build(self) -> None:
        # On first use: the models' column lists exist once Tortoise is initialised.
        model, related = self.model, self.related
        self._model_columns = sorted(model._meta.db_fields)
        self._related_columns = sorted(related._meta.db_fields)
        fk_column = model._meta.fields_db_projection[f"{self.foreign_key}_id"]
        columns = [f'm."{column}"' for column in self._model_columns]
        columns += [f'r."{column}"' for column in self._related_columns]
        sql = (
            f"SELECT {', '.join(columns)} "  # noqa: S608 - names from the models' metadata
            f'FROM "{model._meta.db_table}" m '
            f'JOIN "{related._meta.db_table}" r ON r."{related._meta.db_pk_column}" = '
            f'm."{fk_column}" WHERE {self.where} LIMIT 1'
        )
        self._sql = sql

    def db_value(self, field: str, value: Any) -> Any:
        """A parameter as the ORM would have written it for the model's `field`."""
        return self.model._meta.fields_map[field].to_db_value(value, self.model)

    async def fetch(self, *parameters: Any) -> tuple[M, R] | None:
        if not self._sql:
            self._build()
        rows = await read(self._sql, list(parameters))
        if not rows:
            return None
        values = tuple(rows[0])
        split = len(self._model_columns)
        row = self.model._init_from_db(
            **dict(zip(self._model_columns, values[:split], strict=True))
        )
        related = self.related._init_from_db(
            **dict(zip(self._related_columns, values[split:], strict=True))
        )
        object.__setattr__(row, f"_{self.foreign_key}", related)
        return row, related
