"""No officer and no room is booked twice at the same time (PostgreSQL exclusion constraints).

SQLite, the zero-setup demo database, has no exclusion constraints; there the scheduling
service checks overlaps inside its transaction instead.
"""

from django.db import migrations

BOOKED = "status IN ('planned', 'completed')"

POSTGRES_CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE integration_intakeappointment
    ADD CONSTRAINT intake_officer_not_double_booked
    EXCLUDE USING gist (officer_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE ({BOOKED});
ALTER TABLE integration_intakeappointment
    ADD CONSTRAINT intake_room_not_double_booked
    EXCLUDE USING gist (municipality_id WITH =, location WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE ({BOOKED});
"""

POSTGRES_DROP = """
ALTER TABLE integration_intakeappointment DROP CONSTRAINT IF EXISTS intake_officer_not_double_booked;
ALTER TABLE integration_intakeappointment DROP CONSTRAINT IF EXISTS intake_room_not_double_booked;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("integration", "0002_intakes_plans_contacts")]
    operations = [migrations.RunPython(create, drop)]
