"""Mark the people who already have a start-date letter (see Newcomer.start_letter_requested)."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def backfill(apps, schema_editor):
    Newcomer = apps.get_model("integration", "Newcomer")
    Letter = apps.get_model("letters", "Letter")
    active = Letter.objects.filter(newcomer=OuterRef("pk"), kind="START_DATE").exclude(status="cancelled")
    Newcomer.objects.filter(Exists(active)).update(start_letter_requested=True)


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0004_issued_date_index"),
        ("integration", "0006_start_letter_requested"),
    ]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
