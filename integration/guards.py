"""The database guards, declared on their models so Django's migration state knows them.

Invariants that must hold whatever code writes (an issued letter never changes, the audit trail
only grows, nobody is booked twice) are enforced by PostgreSQL itself: constraints and triggers
declared here and on the models, installed and kept by migrations, each with a test that the
database refuses the bad write (tests/integration/test_database_guards.py).

SQLite, the zero-set-up demo database, has neither exclusion constraints nor these triggers in
this form: there the services check overlaps inside their transaction, and the issued-letter and
audit guards are SQLite update triggers, created again after every migrate (below).
"""

from collections.abc import Callable

import pgtrigger
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func


class TsTzRange(Func):
    """tstzrange(start, end, bounds): the time an appointment takes, for overlap checks."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL; nothing on the SQLite demo database."""

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        """Nothing in model validation: the service that books (integration/intakes.py) checks the
        overlap itself and names the booking in the way, on the right field; the constraint is
        the database's last word when two bookings race."""


def refusal(name: str, operation, message: str, *, condition=None, message_args: str = "") -> pgtrigger.Trigger:
    """A row trigger that refuses the write as an integrity violation.

    The error code makes Django raise IntegrityError, as for any other constraint, rather than
    the InternalError of a plain RAISE. `message` may hold `%` placeholders for `message_args`
    (a comma-separated SQL list, e.g. "OLD.reference").
    """
    args = f", {message_args}" if message_args else ""
    return pgtrigger.Trigger(
        name=name, when=pgtrigger.Before, operation=operation, condition=condition,
        func=f"RAISE EXCEPTION '{message}'{args} USING ERRCODE = 'integrity_constraint_violation'; RETURN NULL;",
    )


# --- The SQLite demo database ---------------------------------------------------------------
# SQLite rebuilds a table for many schema changes and loses its triggers with it, so the demo's
# guards are (re)created after every migrate rather than by one migration. Updates only: Django's
# test flush empties SQLite tables with DELETE.

_sqlite_guards: dict[str, Callable[[], str]] = {}


def sqlite_guard(name: str, create_sql: Callable[[], str]) -> None:
    """Register a SQLite trigger; `create_sql` builds its CREATE TRIGGER statement."""
    _sqlite_guards[name] = create_sql


def install_sqlite_guards(using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for name, create_sql in _sqlite_guards.items():
            sql = create_sql()
            table = sql.split(" ON ", 1)[1].split()[0]
            if table in tables:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(sql)
