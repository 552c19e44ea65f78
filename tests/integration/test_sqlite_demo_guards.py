"""The SQLite demo database keeps its guards, even though SQLite rebuilds tables on migrations.

Migrates a fresh SQLite file in a separate process (as `make run` does) and writes to it
directly, as a shell or a bug would.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    env = {**os.environ, "DJANGO_ENV": "test", "DATABASE_URL": f"sqlite:///{path}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    database = sqlite3.connect(path)
    yield database
    database.close()


def insert_row(database, table: str, **values) -> int:
    """A row with `values` and a plausible value in every other required column."""
    filler = {"integer": 1, "bigint": 1, "bool": 0, "date": "2026-01-01", "datetime": "2026-01-01 10:00:00"}
    for _, name, kind, not_null, default, primary_key in database.execute(f"PRAGMA table_info({table})"):
        if name not in values and not_null and default is None and not primary_key:
            values[name] = filler.get(kind.split("(")[0].lower(), "x")
    columns = ", ".join(values)
    cursor = database.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(values))})",
                              list(values.values()))
    database.commit()
    return cursor.lastrowid


def test_an_issued_letter_cannot_be_changed_in_the_demo_database(demo_database):
    letter = insert_row(demo_database, "letters_letter", status="issued", kind="START_DATE", reference="SD-TEST-1",
                        start_date="2026-01-01", issued_at="2026-01-01 10:00:00", page_count=2, sha256="ab" * 32,
                        pdf="SD-TEST-1.pdf")
    with pytest.raises(sqlite3.IntegrityError, match="issued letter cannot be changed"):
        demo_database.execute("UPDATE letters_letter SET start_date = '2026-02-01' WHERE id = ?", [letter])
    demo_database.rollback()
    # The e-mail bookkeeping may still change.
    demo_database.execute("UPDATE letters_letter SET email_sent_at = '2026-01-02 09:00:00' WHERE id = ?", [letter])


def test_the_audit_trail_cannot_be_edited_in_the_demo_database(demo_database):
    record = insert_row(demo_database, "audit_auditrecord", what="person page", detail="{}")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        demo_database.execute("UPDATE audit_auditrecord SET what = 'nothing' WHERE id = ?", [record])
