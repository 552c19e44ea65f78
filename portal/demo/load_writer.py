"""Writing load-data rows fast: COPY on PostgreSQL, batched INSERTs elsewhere (SQLite in tests).

Rows carry their own ids, so one chunk's permits, registrations, decisions and letters can
point at its newcomers without a round trip. Each chunk is one transaction that locks the
tables against other writers, takes the next free ids and moves the id sequences past them.
"""

from __future__ import annotations

from django.core.management.color import no_style
from django.db import connection
from django.db.models import JSONField, Max
from psycopg.types.json import Jsonb

from integration.models import (
    IntakeAppointment,
    MunicipalRegistration,
    Newcomer,
    ObligationDecision,
    PersonalPlan,
    ResidencePermit,
)
from letters.models import Letter

from .load_rows import (
    DECISION_COLUMNS,
    INTAKE_COLUMNS,
    LETTER_COLUMNS,
    NEWCOMER_COLUMNS,
    PERMIT_COLUMNS,
    PLAN_COLUMNS,
    REGISTRATION_COLUMNS,
    Chunk,
)

# In foreign-key order: newcomers first, letters last.
TABLES = (
    ("newcomer", Newcomer, NEWCOMER_COLUMNS, "newcomers"),
    ("permit", ResidencePermit, PERMIT_COLUMNS, "permits"),
    ("registration", MunicipalRegistration, REGISTRATION_COLUMNS, "registrations"),
    ("decision", ObligationDecision, DECISION_COLUMNS, "decisions"),
    ("intake", IntakeAppointment, INTAKE_COLUMNS, "intakes"),
    ("plan", PersonalPlan, PLAN_COLUMNS, "plans"),
    ("letter", Letter, LETTER_COLUMNS, "letters"),
)
MODELS = [model for _, model, _, _ in TABLES]

# Rows per INSERT statement when COPY is not available; SQLite binds at most 32766 values.
_INSERT_BATCH_ROWS = 1000


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


def check_columns() -> None:
    """Refuse to load when a model has a column the generator does not fill (or vice versa)."""
    for _, model, columns, _ in TABLES:
        expected = {field.attname for field in model._meta.concrete_fields}
        if expected != set(columns):
            raise ValueError(
                f"{model._meta.label} columns changed; update the load-data generator "
                f"(missing: {sorted(expected - set(columns))}, unknown: {sorted(set(columns) - expected)})"
            )


def lock_tables() -> None:
    """Keep other writers out of the tables for the chunk, so the ids taken stay free.

    SHARE ROW EXCLUSIVE blocks inserts and updates but not reads. SQLite locks the whole
    database for a write transaction anyway.
    """
    if uses_copy():
        names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in MODELS)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


def next_ids() -> dict[str, int]:
    return {key: (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1 for key, model, _, _ in TABLES}


def write_chunk(chunk: Chunk) -> None:
    for _, model, columns, attribute in TABLES:
        rows = getattr(chunk, attribute)
        if rows:
            (_copy if uses_copy() else _insert)(model, columns, rows)


def _column_names(model, columns) -> list[str]:
    return [connection.ops.quote_name(model._meta.get_field(name).column) for name in columns]


def _copy(model, columns, rows) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"COPY {table} ({', '.join(_column_names(model, columns))}) FROM STDIN"
    # A JSON column takes its value as JSON (a Python list would otherwise go in as an array).
    json_columns = [i for i, name in enumerate(columns) if isinstance(model._meta.get_field(name), JSONField)]
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            if json_columns:
                row = list(row)
                for i in json_columns:
                    row[i] = Jsonb(row[i])
            copy.write_row(row)


def _insert(model, columns, rows) -> None:
    """Batched INSERTs with each value prepared by its field, as the ORM would.

    Not `bulk_create`: it would stamp the auto_now(_add) columns with the current time and
    lose the backdated queue and issue times the overdue list depends on.
    """
    fields = [model._meta.get_field(name) for name in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    # Table and column names come from the models, quoted; the values are bound parameters.
    sql = (f"INSERT INTO {table} ({', '.join(_column_names(model, columns))}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _INSERT_BATCH_ROWS):
            batch = [
                [field.get_db_prep_save(value, connection) for field, value in zip(fields, row, strict=True)]
                for row in rows[start:start + _INSERT_BATCH_ROWS]
            ]
            cursor.executemany(sql, batch)


def reset_sequences() -> None:
    """Move the id sequences past the ids the chunk used, so the portal's own inserts fit."""
    statements = connection.ops.sequence_reset_sql(no_style(), MODELS)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def analyze() -> None:
    """Fresh planner statistics (the overdue list and the sweep pick their plans from them) and,
    outside a transaction, a vacuum: it marks the freshly loaded pages all-visible, as autovacuum
    does on a database that has been running, so index-only scans read no heap from the start.
    VACUUM cannot run inside a transaction (a test's); there the statistics alone are taken."""
    if uses_copy():
        names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in MODELS)
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            cursor.execute(f"{command} {names}")
