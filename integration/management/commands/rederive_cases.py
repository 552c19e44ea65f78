"""`manage.py rederive_cases`: the daily re-derivation, synchronously (`--all`: every case)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from integration.models import Newcomer
from integration.tasks import rederive_due_cases


class Command(BaseCommand):
    help = "Derive again the cases whose situation changes by today without a new fact (or all of them)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every case, for example after an upgrade")

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["all"]:
            Newcomer.objects.update(case_review_on=today)
        done = rederive_due_cases(today)
        self.stdout.write(f"Re-derived {done} cases.")
