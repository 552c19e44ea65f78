"""The issued-letter guard, declared on the model (integration.guards.refusal) instead of raw SQL.

The trigger of 0002 is replaced by two declared ones; the frozen columns now include every
column that describes what was sent or how it was made (letters.models.FROZEN_ONCE_ISSUED).
"""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


RAW_GUARD_DROP = """
DROP TRIGGER IF EXISTS letters_issued_letter_is_immutable ON letters_letter;
DROP FUNCTION IF EXISTS letters_issued_letter_is_immutable();
"""


def drop_raw_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RAW_GUARD_DROP)


class Migration(migrations.Migration):

    dependencies = [
        ('letters', '0006_case_status'),
    ]

    operations = [
        migrations.RunPython(drop_raw_guard, migrations.RunPython.noop),
        pgtrigger.migrations.AddTrigger(
            model_name='letter',
            trigger=pgtrigger.compiler.Trigger(name='issued_letter_not_deleted', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."status" = \'issued\')', func="RAISE EXCEPTION 'issued letter % cannot be deleted', OLD.reference USING ERRCODE = 'integrity_constraint_violation'; RETURN NULL;", hash='5eb9b90cb922a5554ff13f1df07b4a2d27a1c9f1', operation='DELETE', pgid='pgtrigger_issued_letter_not_deleted_52603', table='letters_letter', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='letter',
            trigger=pgtrigger.compiler.Trigger(name='issued_letter_not_changed', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."status" = \'issued\' AND (OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."public_id" IS DISTINCT FROM (NEW."public_id") OR OLD."kind" IS DISTINCT FROM (NEW."kind") OR OLD."newcomer_id" IS DISTINCT FROM (NEW."newcomer_id") OR OLD."obligation_number" IS DISTINCT FROM (NEW."obligation_number") OR OLD."regime" IS DISTINCT FROM (NEW."regime") OR OLD."reference" IS DISTINCT FROM (NEW."reference") OR OLD."status" IS DISTINCT FROM (NEW."status") OR OLD."intake_id" IS DISTINCT FROM (NEW."intake_id") OR OLD."corrects_id" IS DISTINCT FROM (NEW."corrects_id") OR OLD."start_date" IS DISTINCT FROM (NEW."start_date") OR OLD."letter_date" IS DISTINCT FROM (NEW."letter_date") OR OLD."attempts" IS DISTINCT FROM (NEW."attempts") OR OLD."last_error" IS DISTINCT FROM (NEW."last_error") OR OLD."cancel_reason" IS DISTINCT FROM (NEW."cancel_reason") OR OLD."pdf" IS DISTINCT FROM (NEW."pdf") OR OLD."sha256" IS DISTINCT FROM (NEW."sha256") OR OLD."page_count" IS DISTINCT FROM (NEW."page_count") OR OLD."queued_at" IS DISTINCT FROM (NEW."queued_at") OR OLD."rendering_started_at" IS DISTINCT FROM (NEW."rendering_started_at") OR OLD."issued_at" IS DISTINCT FROM (NEW."issued_at")))', func="RAISE EXCEPTION 'issued letter % cannot be changed; issue a correction instead', OLD.reference USING ERRCODE = 'integrity_constraint_violation'; RETURN NULL;", hash='0f8200bca76e42bc2d8cc3fb6469e44c4f6b2637', operation='UPDATE', pgid='pgtrigger_issued_letter_not_changed_2e9da', table='letters_letter', when='BEFORE')),
        ),
    ]
