"""Writing different values to many rows in one statement.

Django's `bulk_update` writes a CASE expression per field and row; building it took longer in
Python than the round trips it saves (for a batch of 20 letters, longer than 20 plain UPDATEs).
On PostgreSQL one `UPDATE … FROM (VALUES …)` does the same with the values as plain
parameters; elsewhere (the SQLite demo) each row gets its own UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def update_rows(objects: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of each of `objects` (one model) as they are in memory. `auto_now` fields
    are not touched for you: set them on the objects and name them."""
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        for obj in objects:
            model._base_manager.filter(pk=obj.pk).update(**{name: getattr(obj, name) for name in fields})
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    # Each value typed by its column, so PostgreSQL reads dates, times and numbers as such.
    row = "(" + ", ".join(f"%s::{column.db_type(connection)}" for column in columns) + ")"
    params = []
    for obj in objects:
        params.extend(column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns)
    assignments = ", ".join(f"{quote(column.column)} = v.{quote(column.column)}" for column in columns[1:])
    names = ", ".join(quote(column.column) for column in columns)
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sql = (f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(objects))}) "  # noqa: S608
           f"AS v ({names}) WHERE {table}.{pk} = v.{pk}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
