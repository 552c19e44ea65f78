"""The double-booking guards, declared on the model (ExclusionConstraint) instead of raw SQL (0003)."""

import django.contrib.postgres.fields.ranges
import integration.guards
from django.contrib.postgres.operations import BtreeGistExtension
from django.conf import settings
from django.db import migrations, models


RAW_GUARD_DROP = """
ALTER TABLE integration_intakeappointment DROP CONSTRAINT IF EXISTS intake_officer_not_double_booked;
ALTER TABLE integration_intakeappointment DROP CONSTRAINT IF EXISTS intake_room_not_double_booked;
"""


def drop_raw_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RAW_GUARD_DROP)


class Migration(migrations.Migration):

    dependencies = [
        ('integration', '0010_work_list_and_name_search'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        BtreeGistExtension(),  # '=' on plain columns inside a GiST index
        migrations.RunPython(drop_raw_guard, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='intakeappointment',
            constraint=integration.guards.PostgresExclusionConstraint(condition=models.Q(('status__in', ('planned', 'completed'))), expressions=[('officer', '='), (integration.guards.TsTzRange('starts_at', 'ends_at', django.contrib.postgres.fields.ranges.RangeBoundary()), '&&')], name='intake_officer_not_double_booked'),
        ),
        migrations.AddConstraint(
            model_name='intakeappointment',
            constraint=integration.guards.PostgresExclusionConstraint(condition=models.Q(('status__in', ('planned', 'completed'))), expressions=[('municipality', '='), ('location', '='), (integration.guards.TsTzRange('starts_at', 'ends_at', django.contrib.postgres.fields.ranges.RangeBoundary()), '&&')], name='intake_room_not_double_booked'),
        ),
    ]
