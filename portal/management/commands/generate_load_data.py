"""`manage.py generate_load_data --newcomers N`: synthetic newcomers for benchmarks.

Adds to whatever the database holds: new BSNs continue after the highest load-data BSN and
ids after the highest id, so it can run again on a loaded database. COPY on PostgreSQL.
"""

import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from integration.models import Municipality, Newcomer
from portal.accounts.models import Role, User
from portal.demo import load_writer
from portal.demo.bsn import LOAD_FIRST_BSN, LOAD_FIRST_PREFIX, LOAD_LAST_PREFIX, bsns_from
from portal.demo.load_rows import DEFAULT_OVERDUE_FRACTION, ISSUED, OVERDUE, QUEUED, WAITING, Place, RowFactory
from portal.demo.personas import ensure_municipalities

# Beyond the demo's four cities, a few more so the data spreads like the country does:
# (code, name, street, postcode digits, town, weight).
_PLACES = (
    ("GM0363", "Amsterdam", "Damrak", "1012", "Amsterdam", 8),
    ("GM0599", "Rotterdam", "Coolsingel", "3011", "Rotterdam", 6),
    ("GM0518", "'s-Gravenhage", "Spui", "2511", "Den Haag", 5),
    ("GM0344", "Utrecht", "Oudegracht", "3511", "Utrecht", 4),
    ("GM0772", "Eindhoven", "Stratumseind", "5611", "Eindhoven", 2),
    ("GM0014", "Groningen", "Vismarkt", "9711", "Groningen", 2),
    ("GM0855", "Tilburg", "Heuvel", "5038", "Tilburg", 2),
    ("GM0034", "Almere", "Stadhuisplein", "1315", "Almere", 2),
    ("GM0268", "Nijmegen", "Grote Markt", "6511", "Nijmegen", 1),
    ("GM0153", "Enschede", "Oude Markt", "7511", "Enschede", 1),
)


def _places() -> list[Place]:
    ensure_municipalities()
    places = []
    for code, name, street, digits, town, weight in _PLACES:
        municipality, _ = Municipality.objects.get_or_create(code=code, defaults={"name": name})
        places += [Place(municipality.id, street, digits, town, municipality.name)] * weight
    return places


def _officer_accounts(run: int):
    """`officer_for(municipality_id, number)` for the run's intake appointments: each officer's
    account is made when first needed (no password: nobody logs in with it). Officers belong to
    one run, so the appointments of a later run never clash with an earlier run's."""
    codes = dict(Municipality.objects.values_list("id", "code"))
    accounts: dict[tuple[int, int], int] = {}

    def officer_for(municipality_id: int, number: int) -> int:
        if (municipality_id, number) not in accounts:
            email = f"load-officer-{run}-{codes[municipality_id]}-{number + 1}@gemeente.example".lower()
            accounts[municipality_id, number] = User.objects.create_user(
                email=email, password=None, role=Role.MUNICIPAL_OFFICER, municipality_id=municipality_id,
                first_name="Medewerker", last_name=f"L{run}-{number + 1}").pk
        return accounts[municipality_id, number]

    return officer_for


def _first_free_bsn_prefix() -> int:
    highest = (Newcomer.objects.filter(bsn__gte=LOAD_FIRST_BSN).order_by("-bsn")
               .values_list("bsn", flat=True).first())
    return int(highest[:8]) + 1 if highest else LOAD_FIRST_PREFIX


class Command(BaseCommand):
    help = ("Bulk-load synthetic newcomers (with permits, registrations, decisions, letters, intakes and PIPs) "
            "for benchmarks.")

    def add_arguments(self, parser):
        parser.add_argument("--newcomers", type=int, required=True, help="How many newcomers to add.")
        parser.add_argument("--seed", type=int, default=2026, help="Seed of the random mix (default 2026).")
        parser.add_argument("--overdue-fraction", type=float, default=DEFAULT_OVERDUE_FRACTION,
                            help=f"Share of overdue people (default {DEFAULT_OVERDUE_FRACTION}).")
        parser.add_argument("--chunk-size", type=int, default=50_000, help="Newcomers per transaction.")

    def handle(self, *args, newcomers, seed, overdue_fraction, chunk_size, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("generate_load_data fills the database with synthetic people; "
                               "it does not run with DJANGO_ENV=production.")
        if newcomers < 1 or chunk_size < 1:
            raise CommandError("--newcomers and --chunk-size must be at least 1.")
        try:
            load_writer.check_columns()
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        first_prefix = _first_free_bsn_prefix()
        # About 10 in 11 prefixes give a valid BSN; keep a margin.
        if (LOAD_LAST_PREFIX - first_prefix) * 10 // 11 < newcomers + 1000:
            raise CommandError("Not enough unused load-data BSNs left for that many newcomers.")
        bsns = bsns_from(first_prefix)
        first_newcomer_id = load_writer.next_ids()["newcomer"]
        try:
            factory = RowFactory(
                # The first id goes into the seed so a second run does not repeat the first's uuids.
                rng=random.Random(f"{seed}:{first_newcomer_id}"),
                today=timezone.localdate(), now=timezone.now(), places=_places(),
                overdue_fraction=overdue_fraction, pension_ages=settings.STATE_PENSION_AGE_TABLE,
                officer_for=_officer_accounts(run=first_newcomer_id),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        method = "COPY" if load_writer.uses_copy() else "batched INSERT"
        self.stdout.write(f"Loading {newcomers:,} newcomers with {method} in chunks of {chunk_size:,}…")
        totals = {ISSUED: 0, WAITING: 0, QUEUED: 0, OVERDUE: 0}
        intakes = plans = 0
        started = time.monotonic()
        done = 0
        while done < newcomers:
            size = min(chunk_size, newcomers - done)
            with transaction.atomic():
                load_writer.lock_tables()
                chunk = factory.chunk(size, load_writer.next_ids(), bsns)
                load_writer.write_chunk(chunk)
                load_writer.reset_sequences()
            for category, count in chunk.categories.items():
                totals[category] += count
            intakes, plans = intakes + len(chunk.intakes), plans + len(chunk.plans)
            done += size
            elapsed = time.monotonic() - started
            self.stdout.write(f"  {done:>10,} / {newcomers:,} newcomers  {elapsed:7.1f} s  "
                              f"{done / elapsed:,.0f}/s")
        load_writer.analyze()
        elapsed = time.monotonic() - started
        mix = ", ".join(f"{category} {count:,} ({count / newcomers:.1%})" for category, count in totals.items())
        self.stdout.write(f"Mix: {mix}")
        self.stdout.write(f"Brede intake: {intakes:,} intake appointments, {plans:,} PIPs.")
        self.stdout.write(self.style.SUCCESS(f"Loaded {newcomers:,} newcomers in {elapsed:.1f} s."))
