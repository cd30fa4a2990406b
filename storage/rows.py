"""Model instances from rows read with raw SQL, converted exactly as the ORM converts what it reads (SQLite returns
UUIDs as 32 hex digits and booleans as integers; PostgreSQL returns them typed)."""

import functools
from collections.abc import Sequence

from django.db import connection, models


def model_from_row(model: type[models.Model], attnames: Sequence[str], values: Sequence[object]) -> models.Model:
    """An instance of `model` from `values`, one per name in `attnames` (any order); the model's other fields are
    deferred (loaded on first access), as for any partial ORM read."""
    loaded = {}
    for name, value, (column, converters) in zip(attnames, values, _converters(model, tuple(attnames)), strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        loaded[name] = value
    # Model.from_db takes the values in the model's field order.
    in_model_order = [field.attname for field in model._meta.concrete_fields if field.attname in loaded]
    return model.from_db(connection.alias, in_model_order, [loaded[name] for name in in_model_order])


@functools.cache
def _converters(model: type[models.Model], attnames: tuple[str, ...]) -> list[tuple[object, list]]:
    # One database per process: the converters of its backend, built once per model and column list.
    fields = {field.attname: field for field in model._meta.concrete_fields}
    columns = [fields[name].get_col(model._meta.db_table) for name in attnames]
    return [
        (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)) for column in columns
    ]
