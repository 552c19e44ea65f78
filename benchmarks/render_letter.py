"""How much our letter rendering costs on top of WeasyPrint itself, and whether memory stays flat.

Runs against a throwaway test database (created and destroyed here, like the test suite does)
and rolls back everything it writes, so no letter is issued or stored.

In one run it measures, interleaved so both see the same machine load:
- ours: `render_letter_pdf(letter)`: template, address look-up, PDF/A, page count;
- bare: `weasyprint.HTML(string=same_html).write_pdf(font_config=shared, stylesheets=[same css])`,
  i.e. WeasyPrint alone on the very HTML we produce, with the same fonts and parsed stylesheet
  (without the stylesheet a bare render would lay out a different, unstyled document);
- for reference, the same bare render without the stylesheet, as a plain one-liner would do.
Then it renders 1,000 letters and prints the process RSS before, halfway and after.

The figure printed last is the ratio of the medians ours / bare (target ≤ 1.25).

    DJANGO_ENV=test .venv/bin/python benchmarks/render_letter.py [--iterations 200]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_ENV", "test")

import django  # noqa: E402

django.setup()

import weasyprint  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from integration import services  # noqa: E402
from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime  # noqa: E402
from integration.models import Municipality, Newcomer  # noqa: E402
from letters.models import Letter, LetterKind  # noqa: E402
from letters.rendering import (  # noqa: E402
    letter_html,
    letter_stylesheet,
    render_letter_pdf,
    shared_font_config,
)

WARM_UP = 10
MEMORY_LETTERS = 1_000
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    """The resident set size now (not the peak), from /proc."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE / 2**20


def ready_letter() -> Letter:
    """A WI2021 start-date letter as the issuing pipeline hands it to the renderer."""
    start = date(2024, 3, 15)
    newcomer = Newcomer.objects.create(given_names="Amina", surname="Haddad", date_of_birth=date(1990, 4, 2),
                                       nationality="SY")
    municipality = Municipality.objects.create(code="GM0344", name="Utrecht")
    services.record_bsn(newcomer, "111222333", start)
    services.record_permit(newcomer, residence_title=26, purpose=PurposeOfStay.ASYLUM, decision_date=start,
                           valid_from=start)
    services.record_registration(newcomer, municipality=municipality, street="Oudegracht", house_number="12",
                                 postcode="3511 AB", town="Utrecht", registered_on=start)
    services.record_decision(newcomer, regime=Regime.WI2021, outcome=Outcome.OBLIGED,
                             reason=DecisionReason.OBLIGED_BY_RULE, decided_on=start,
                             source=DecisionSource.REGISTRY_FEED)
    letter = Letter.objects.select_related("newcomer").get(newcomer=newcomer, kind=LetterKind.START_DATE)
    letter.letter_date, letter.start_date = timezone.localdate(), start  # what the claim step sets
    return letter


def timed(render) -> float:
    started = time.perf_counter()
    render()
    return time.perf_counter() - started


def measure(letter: Letter, iterations: int) -> None:
    html = letter_html(letter)
    shared = shared_font_config()
    css = letter_stylesheet()

    def ours():
        render_letter_pdf(letter)

    def bare():
        weasyprint.HTML(string=html).write_pdf(font_config=shared, stylesheets=[css])

    def bare_unstyled():
        weasyprint.HTML(string=html).write_pdf(font_config=shared)

    for _ in range(WARM_UP):
        ours(), bare(), bare_unstyled()
    samples = {"ours": [], "bare": [], "bare_unstyled": []}
    for _ in range(iterations):
        samples["ours"].append(timed(ours))
        samples["bare"].append(timed(bare))
        samples["bare_unstyled"].append(timed(bare_unstyled))
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}

    print(f"letter render, median of {iterations} after {WARM_UP} warm-up:")
    print(f"  ours (render_letter_pdf, PDF/A, page count)     {medians['ours']:7.1f} ms")
    print(f"  bare WeasyPrint, same HTML + same parsed CSS    {medians['bare']:7.1f} ms")
    print(f"  bare WeasyPrint, same HTML, no stylesheet       {medians['bare_unstyled']:7.1f} ms"
          f"  (ratio ours/this {medians['ours'] / medians['bare_unstyled']:.2f}; a different, unstyled page)")

    print(f"memory over {MEMORY_LETTERS} letters:")
    print(f"  RSS at start  {rss_mib():7.1f} MiB")
    for number in range(1, MEMORY_LETTERS + 1):
        render_letter_pdf(letter)
        if number == MEMORY_LETTERS // 2:
            print(f"  RSS halfway   {rss_mib():7.1f} MiB")
    print(f"  RSS at end    {rss_mib():7.1f} MiB")

    print(f"ratio of medians ours / bare: {medians['ours'] / medians['bare']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        with transaction.atomic():
            measure(ready_letter(), args.iterations)
            transaction.set_rollback(True)  # nothing written here survives, no task is enqueued
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
