"""The append-only guard of the audit trail, declared on the model instead of raw SQL (0002)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


RAW_GUARD_DROP = """
DROP TRIGGER IF EXISTS audit_record_is_append_only ON audit_auditrecord;
DROP FUNCTION IF EXISTS audit_record_is_append_only();
"""


def drop_raw_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RAW_GUARD_DROP)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only'),
    ]

    operations = [
        migrations.RunPython(drop_raw_guard, migrations.RunPython.noop),
        pgtrigger.migrations.AddTrigger(
            model_name='auditrecord',
            trigger=pgtrigger.compiler.Trigger(name='audit_record_append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'integrity_constraint_violation'; RETURN NULL;", hash='c04217217c16334e6d534fff62c7ebc37b82d4d4', operation='UPDATE OR DELETE', pgid='pgtrigger_audit_record_append_only_fade7', table='audit_auditrecord', when='BEFORE')),
        ),
    ]
