"""Server time of the municipal work list for the largest municipality of a loaded database.

Needs a database filled by `manage.py generate_load_data` (1,000,000 newcomers: Amsterdam, the
largest municipality, has about a quarter of them). Everything this script writes (an officer
with TOTP, its session, the audit records the views write) happens inside one transaction that
is rolled back at the end, so the loaded data is left exactly as it was.

Through the Django test client (middleware, view, template; no network), as the officer of the
municipality with the most people on its work list, it times every filter and sort, the name
searches (prefix, substring, accented and in capitals), a combination and a deep page: medians of
--repeat runs and the number of queries of each.

The baseline, measured in the same run: the name searches as a plain `icontains` over given names
and surname would answer them (the municipality's rows read from the heap and compared one by
one; not accent-insensitive), as SQL alone, without the view around it.

The figure printed last is the slowest variant's median in ms (target < 150 ms).

    DJANGO_ENV=test .venv/bin/python benchmarks/work_list.py --database inburgering_load_1m
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no request log line per timed page


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="inburgering_load_1m")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--page", type=int, default=200, help="the deep page to open (25 rows a page)")
    parser.add_argument("--explain", action="store_true",
                        help="also print the EXPLAIN (ANALYZE, BUFFERS) plan of each variant's list query")
    return parser.parse_args()


ARGS = _parse()
os.environ["DATABASE_URL"] = f"postgres://postgres@{ARGS.host}:5432/{ARGS.database}"

import django  # noqa: E402

django.setup()

from allauth.account.internal.flows.login import record_authentication  # noqa: E402
from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from integration.models import Municipality, Newcomer  # noqa: E402
from portal.accounts.models import Role, User  # noqa: E402
from portal.municipality import selectors  # noqa: E402

EMAIL = "benchmark-officer@gemeente.example"

# (label, query string). Names: a surname as typed, the middle of several names, the same
# surname with accents and in capitals (the search ignores both), and a name that is not in the
# list at all (nothing to stop early at: the whole municipality is searched).
VARIANTS = (
    ("all, by PIP due date", {}),
    ("all, latest due first", {"sort": "-due"}),
    ("all, by name", {"sort": "name"}),
    *((f"stage {stage}", {"stage": stage}) for stage in selectors.Stage.ORDER),
    ("PIP due date passed", {"due": selectors.Due.PASSED}),
    ("PIP due within 2 weeks", {"due": selectors.Due.APPROACHING}),
    ("name prefix 'Ahmadi'", {"name": "Ahmadi"}),
    ("name contains 'ham'", {"name": "ham"}),
    ("name accented 'ÀHMÄDÎ'", {"name": "ÀHMÄDÎ"}),
    ("name nobody has 'Özdemir'", {"name": "Özdemir"}),
    ("name 'Ahmadi', by name", {"name": "Ahmadi", "sort": "name"}),
    ("name 'Tesfaye' + stage needs intake", {"name": "Tesfaye", "stage": selectors.Stage.NEEDS_INTAKE}),
)
BASELINE_NAMES = ("Ahmadi", "ham", "Özdemir")


def largest_municipality() -> Municipality:
    top = (Newcomer.objects.exclude(municipal_stage="").values("current_municipality")
           .annotate(n=Count("id")).order_by("-n").first())
    return Municipality.objects.get(pk=top["current_municipality"])


def officer_client(municipality) -> Client:
    user = User.objects.create_user(email=EMAIL, password=None, role=Role.MUNICIPAL_OFFICER,
                                    municipality=municipality)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user, backend="portal.accounts.backends.StaffPasswordBackend")
    request = RequestFactory().get("/")
    request.session = client.session
    authenticator = Authenticator.objects.get(user=user)
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()
    return client


def cursor_before_page(municipality, page: int, sort: str = "due") -> str | None:
    """The token that opens page `page`: the last row of the page before (found once, untimed)."""
    filters = selectors.WorkListFilters(sort=sort)
    rows = selectors.work_list(municipality, filters).order_by(*selectors.SORTS[sort])
    last = rows[(page - 1) * selectors.PAGE_SIZE - 1: (page - 1) * selectors.PAGE_SIZE].first()
    if last is None:
        return None
    return str(selectors.WorkListCursor(tuple(getattr(last, f.lstrip("-")) for f in selectors.SORTS[sort])))


def time_page(client, params) -> tuple[float, int, int]:
    """Median ms, queries and rows of GET /gemeente/ with `params`."""
    url = reverse("municipality:work_list")
    client.get(url, params)  # warm caches, as on a server that has been up a while
    timings = []
    for _ in range(ARGS.repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    return statistics.median(timings), len(queries), len(response.context["rows"])


def time_icontains(municipality, name: str) -> float:
    """Median ms of the first page of a name search done the plain way (the baseline)."""
    rows = (Newcomer.objects.filter(current_municipality=municipality).exclude(municipal_stage="")
            .filter(Q(given_names__icontains=name) | Q(surname__icontains=name))
            .order_by("pip_due_on", "id").only("public_id", "given_names", "surname"))
    timings = []
    for _ in range(ARGS.repeat):
        start = time.perf_counter()
        list(rows[:selectors.PAGE_SIZE + 1])
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def explain(municipality, params) -> str:
    form_data = {"sort": "due", **params}
    filters = selectors.WorkListFilters(stage=form_data.get("stage", ""), due=form_data.get("due", ""),
                                        name=form_data.get("name", ""), sort=form_data["sort"])
    after = selectors.WorkListCursor.parse(params.get("na"), filters.sort)
    return selectors.page_query(municipality, filters, after).explain(analyze=True, buffers=True)


def main():
    setup_test_environment()  # the test client records templates and context
    with transaction.atomic():
        municipality = largest_municipality()
        people = selectors.people_in(municipality).count()
        print(f"database {ARGS.database}: {municipality.name}, {people:,} people on its work list; "
              f"today {timezone.localdate()}")
        client = officer_client(municipality)

        variants = list(VARIANTS)
        for sort in ("due", "name"):
            cursor = cursor_before_page(municipality, ARGS.page, sort)
            if cursor is not None:
                variants.append((f"page {ARGS.page}, by {'PIP due date' if sort == 'due' else 'name'}",
                                 {"sort": sort, "na": cursor}))
            else:
                print(f"page {ARGS.page}: the list has fewer pages")

        slowest = 0.0
        query_counts = set()
        for label, params in variants:
            median, queries, rows = time_page(client, params)
            slowest = max(slowest, median)
            query_counts.add(queries)
            print(f"{label:<40} median {median:7.1f} ms, {queries} queries, {rows} rows")
            if ARGS.explain:
                print(explain(municipality, params))
        for name in BASELINE_NAMES:
            print(f"baseline: name icontains {name!r} over the heap (SQL only)  median "
                  f"{time_icontains(municipality, name):7.1f} ms")
        print(f"query counts across variants: {sorted(query_counts)}")
        transaction.set_rollback(True)
    print("slowest variant median (ms, target < 150)")
    print(f"{slowest:.1f}")


if __name__ == "__main__":
    main()
