"""A database-level guard: an issued letter is never changed or deleted (DOMAIN.md §3).

Only the e-mail timestamp (and Django's updated_at) may still change after issuance; a
correction is a new letter that refers to the old one.
"""

from django.db import migrations

# The columns that make up what was sent to the person.
FROZEN = ["kind", "newcomer_id", "regime", "reference", "status", "corrects_id", "start_date", "letter_date",
          "pdf", "sha256", "page_count", "issued_at"]

POSTGRES_CREATE = """
CREATE OR REPLACE FUNCTION letters_issued_letter_is_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'issued letter %% cannot be deleted', OLD.reference USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF ({new}) IS DISTINCT FROM ({old}) THEN
        RAISE EXCEPTION 'issued letter %% cannot be changed; issue a correction instead', OLD.reference
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER letters_issued_letter_is_immutable
    BEFORE UPDATE OR DELETE ON letters_letter
    FOR EACH ROW WHEN (OLD.status = 'issued')
    EXECUTE FUNCTION letters_issued_letter_is_immutable();
""".format(new=", ".join(f"NEW.{c}" for c in FROZEN), old=", ".join(f"OLD.{c}" for c in FROZEN))

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS letters_issued_letter_is_immutable ON letters_letter;
DROP FUNCTION IF EXISTS letters_issued_letter_is_immutable();
"""

# SQLite (the demo database) gets the update guard; deletes are left to the PROTECT foreign keys
# because Django's test flush empties tables with DELETE.
SQLITE_CREATE = """
CREATE TRIGGER letters_issued_letter_is_immutable
BEFORE UPDATE ON letters_letter
FOR EACH ROW WHEN OLD.status = 'issued' AND ({changed})
BEGIN
    SELECT RAISE(ABORT, 'issued letter cannot be changed; issue a correction instead');
END;
""".format(changed=" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN))

SQLITE_DROP = "DROP TRIGGER IF EXISTS letters_issued_letter_is_immutable;"


def create_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial")]
    operations = [migrations.RunPython(create_guard, drop_guard)]
