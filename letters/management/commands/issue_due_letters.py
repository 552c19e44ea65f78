"""The letter sweep, run here and now: what `beat` does every few minutes, but issuing in this
process instead of handing the letters to the workers. For operators after an outage, and for
a machine without a broker."""

from django.core.management.base import BaseCommand

from letters import sweep


class Command(BaseCommand):
    help = ("Request start-date letters for ready people who have none, and issue every letter that is "
            "queued, failed (after the retry interval) or stuck with a dead worker.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None,
                            help="people or letters per database round trip (default: LETTER_SWEEP_BATCH_SIZE)")

    def handle(self, *args, batch_size=None, verbosity=1, **options):
        log = self.stdout.write if verbosity > 1 else None
        counts = sweep.sweep(run_now=True, batch_size=batch_size, log=log)
        self.stdout.write(f"{counts['requested']} ready people without a letter: letter requested")
        self.stdout.write(f"{counts['dispatched']} unfinished letters taken up")
        self.stdout.write(f"{counts['emails']} e-mails sent")
        self.stdout.write(self.style.SUCCESS(f"{counts['issued']} letters issued"))
